import { readFileSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { gradeExercise } from '../../server/grading/exercise.ts';
import { loadLabs, type CatalogLab } from '../../server/labs/catalog.ts';
import { labImages } from '../../server/labs/lab-images.ts';
import { createHash, createVerify } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { archiveIdentity, readTar } from '../../server/oci/archive.ts';
import { applySetup } from '../../server/lab/setup.ts';
import { localLearner } from '../helpers/learner.ts';
import { projectRoot } from '../helpers/project.ts';

/**
 * The supply-chain labs graded the way a learner meets them: wrong answers that look right must
 * fail, for the reason the lab teaches, and the shipped image archives must be the ones their
 * specs describe.
 */
const labsDir = join(projectRoot, 'labs');
let cluster: EmbeddedCluster;
let labs: Map<string, CatalogLab>;
const dirs: string[] = [];

beforeAll(async () => {
  cluster = await new EmbeddedCluster().start();
  labs = await loadLabs(labsDir);
});
afterAll(async () => {
  await cluster.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A session folder whose HOME starts with the lab's files, as a fresh session does. */
async function workspace(labId: string): Promise<{ root: string; home: string }> {
  const root = await mkdtemp(join(tmpdir(), 'supply-chain-lab-'));
  dirs.push(root);
  const home = join(root, 'home');
  await cp(join(labsDir, labId, 'files'), home, { recursive: true });
  await mkdir(join(home, '.kube'), { recursive: true });
  await writeFile(join(home, '.kube', 'config'), await cluster.kubeconfig());
  await writeFile(join(root, 'commands.log'), '');
  return { root, home };
}

async function grade(labId: string, exercise: string, root: string) {
  const lab = labs.get(labId)!;
  const home = join(root, 'home');
  const kubeconfig = join(home, '.kube', 'config');
  const graded = { kubeconfig, learner: localLearner(home, kubeconfig, { commandLog: join(root, 'commands.log') }) };
  return gradeExercise(lab.definition!, lab.dir, exercise, graded, 'en', { pollSeconds: 0 });
}

describe('lab image archives', () => {
  it('are committed exactly as their specs build them, so digests are the same everywhere', async () => {
    const images = await labImages(labsDir);
    expect(images.map((i) => i.lab)).toEqual(expect.arrayContaining(['hidden-in-layers', 'trivy-scan']));
    for (const image of images) {
      const committed = readFileSync(image.output);
      expect(committed.equals(image.archive), `${image.output} is stale: run npm run labs -- images`).toBe(true);
      expect(archiveIdentity(committed)).toEqual({
        imageId: image.imageId,
        diffIds: image.diffIds,
        repoTags: image.repoTags,
      });
    }
  });

  it('reads the archive back like docker save output: manifest, config, one tar per layer', async () => {
    const archive = readFileSync(join(labsDir, 'trivy-scan', 'files', 'images', 'shop-api.tar'));
    const files = readTar(archive);
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Config: string; Layers: string[] }>;
    const layer = readTar(files.get(manifest[0]!.Layers[0]!)!);
    expect(layer.get('var/lib/dpkg/status')!.toString()).toContain('Package: zlib1g');
    expect(layer.get('etc/debian_version')!.toString()).toBe('12.5\n');
  });
});

describe('lab "hidden-in-layers"', () => {
  it('expects the token and the DiffID of the layer that really holds it', () => {
    const archive = readFileSync(join(labsDir, 'hidden-in-layers', 'files', 'images', 'shop-web.tar'));
    const files = readTar(archive);
    const { diffIds } = archiveIdentity(archive);
    const holding = diffIds.filter((d) => readTar(files.get(`blobs/sha256/${d.slice(7)}`)!).has('app/.npmrc'));
    expect(holding).toHaveLength(1);
    const npmrc = readTar(files.get(`blobs/sha256/${holding[0]!.slice(7)}`)!)
      .get('app/.npmrc')!
      .toString();
    const answer = parse(readFileSync(join(labsDir, 'hidden-in-layers', 'solution', 'answer.yaml'), 'utf8')) as {
      token: string;
      layer: string;
    };
    expect(npmrc).toContain(`_authToken=${answer.token}`);
    expect(answer.layer).toBe(holding[0]);
    // A later layer deletes it with a whiteout: the file is hidden, not gone.
    const last = readTar(files.get(`blobs/sha256/${diffIds.at(-1)!.slice(7)}`)!);
    expect([...last.keys()]).toEqual(['app/.wh..npmrc']);
  });

  it('does not accept the top layer, where the token was "deleted"', async () => {
    const ws = await workspace('hidden-in-layers');
    const { diffIds } = archiveIdentity(readFileSync(join(ws.home, 'images', 'shop-web.tar')));
    await writeFile(
      join(ws.home, 'answer.yaml'),
      `token: npm_LabOnly0HiddenInLayers0NotARealToken\nlayer: ${diffIds.at(-1)}\n`,
    );
    const result = await grade('hidden-in-layers', 'find-the-token', ws.root);
    expect(result.passed).toBe(false);
    expect(result.results.at(-1)!.message).toContain('DiffID');
  });

  it('rejects a build that still copies .npmrc, even with a secret mount', async () => {
    const ws = await workspace('hidden-in-layers');
    await writeFile(join(ws.home, '.dockerignore'), '.git\n.npmrc\n');
    await writeFile(
      join(ws.home, 'Dockerfile'),
      'FROM node:22.12-alpine3.22\nWORKDIR /app\nCOPY .npmrc package.json ./\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci\n',
    );
    const result = await grade('hidden-in-layers', 'fix-the-build', ws.root);
    expect(result.results.map((r) => r.passed)).toEqual([true, false]);
    expect(result.results[1]!.message).toBe(
      'The Dockerfile Dockerfile is not hardened yet: a COPY or ADD instruction copies .npmrc into the image; that file must never reach a layer',
    );
  });
});

describe('lab "ci-gate"', () => {
  const gate = async (script: string) => {
    const ws = await workspace('ci-gate');
    await writeFile(join(ws.home, 'ci.sh'), script);
    await chmod(join(ws.home, 'ci.sh'), 0o755);
    const result = await grade('ci-gate', 'gate-script', ws.root);
    return { passed: result.passed, detail: result.results.map((r) => r.message).join('\n') };
  };

  it('fails the shipped starter: it blocks an unfixable CRITICAL and lets a fixable HIGH through', async () => {
    const starter = readFileSync(join(labsDir, 'ci-gate', 'files', 'ci.sh'), 'utf8');
    const { passed, detail } = await gate(starter);
    expect(passed).toBe(false);
    expect(detail).toContain('✗ reports/good.json');
    expect(detail).toContain('✗ reports/bad.json');
  });

  it('fails a jq gate that forgets `?` and so crashes on a clean report', async () => {
    const { passed, detail } = await gate(
      '#!/usr/bin/env bash\nset -euo pipefail\n' +
        'n=$(jq \'[.Results[].Vulnerabilities[] | select((.Severity=="CRITICAL" or .Severity=="HIGH") and .Status=="fixed")] | length\' "$1")\n' +
        '[ "$n" -eq 0 ]\n',
    );
    expect(passed).toBe(false);
    expect(detail).toContain('✗ a clean image');
  });

  it('fails a gate that masks errors, because a broken scan must stop the build', async () => {
    const { passed, detail } = await gate(
      '#!/usr/bin/env bash\n' +
        'n=$(jq \'[.Results[]?.Vulnerabilities[]? | select((.Severity=="CRITICAL" or .Severity=="HIGH") and .Status=="fixed")] | length\' "$1" 2>/dev/null || echo 0)\n' +
        '[ "$n" -eq 0 ]\n',
    );
    expect(passed).toBe(false);
    expect(detail).toContain('✗ a report that is not JSON');
  });

  it('passes the reference solution, and notices when a shipped report was edited', async () => {
    const solution = readFileSync(join(labsDir, 'ci-gate', 'solution', 'ci.sh'), 'utf8');
    expect((await gate(solution)).passed).toBe(true);
    const ws = await workspace('ci-gate');
    await writeFile(join(ws.home, 'ci.sh'), solution);
    await writeFile(join(ws.home, 'reports', 'bad.json'), readFileSync(join(ws.home, 'reports', 'good.json')));
    const result = await grade('ci-gate', 'gate-script', ws.root);
    expect(result.passed).toBe(false);
  });

  it('accepts the action pinned by full SHA only', async () => {
    const ws = await workspace('ci-gate');
    const pinned = readFileSync(join(labsDir, 'ci-gate', 'solution', 'scan.yml'), 'utf8');
    const workflow = join(ws.home, '.github', 'workflows', 'scan.yml');
    await writeFile(workflow, pinned.replace(/trivy-action@57a97c7e\S+/, 'trivy-action@0.35.0'));
    expect((await grade('ci-gate', 'pin-the-workflow', ws.root)).passed).toBe(false);
    await writeFile(workflow, pinned);
    expect((await grade('ci-gate', 'pin-the-workflow', ws.root)).passed).toBe(true);
  });
});

describe('lab "harden-dockerfile"', () => {
  it('refuses a named USER, which runAsNonRoot cannot verify, and accepts a numeric one', async () => {
    const ws = await workspace('harden-dockerfile');
    const named =
      'FROM node:22.12-alpine AS build\nRUN true\nFROM gcr.io/distroless/nodejs22-debian12:nonroot\nCOPY --from=build /app /app\nUSER nonroot\n';
    await writeFile(join(ws.home, 'Dockerfile'), named);
    const result = await grade('harden-dockerfile', 'multi-stage', ws.root);
    expect(result.results[0]!.message).toBe(
      'The Dockerfile Dockerfile is not hardened yet: the final stage ends with USER nonroot, a name: with runAsNonRoot the kubelet cannot verify it is not root; use a numeric UID such as USER 10001',
    );
    await writeFile(join(ws.home, 'Dockerfile'), named.replace('USER nonroot', 'USER 65532:65532'));
    expect((await grade('harden-dockerfile', 'multi-stage', ws.root)).passed).toBe(true);
  });
});

describe('lab "verify-binaries"', () => {
  const files = join(labsDir, 'verify-binaries', 'files');
  it('ships exactly one replaced kubelet, the one the answer names', () => {
    const published = readFileSync(join(files, 'release', 'kubelet.sha512'), 'utf8').trim();
    const hashes = ['node-1', 'node-2', 'node-3'].map((n) =>
      createHash('sha512')
        .update(readFileSync(join(files, 'nodes', n, 'kubelet')))
        .digest('hex'),
    );
    expect(hashes.filter((h) => h !== published)).toHaveLength(1);
    const answer = parse(readFileSync(join(labsDir, 'verify-binaries', 'solution', 'answer.yaml'), 'utf8')) as {
      tampered: string;
      sha512: string;
      trusted: string;
    };
    expect(hashes[Number(answer.tampered.slice(-1)) - 1]).toBe(answer.sha512);
    expect(answer.sha512).not.toBe(published);
  });

  it('has mirrors whose checksums all match, and exactly one signature the publisher made', () => {
    const key = readFileSync(join(files, 'release', 'release.pub'), 'utf8');
    const verified = ['mirror-a', 'mirror-b', 'mirror-c'].filter((m) => {
      const dir = join(files, 'mirrors', m);
      expect(
        createHash('sha512')
          .update(readFileSync(join(dir, 'kubectl')))
          .digest('hex'),
      ).toBe(readFileSync(join(dir, 'kubectl.sha512'), 'utf8').trim());
      const signature = Buffer.from(readFileSync(join(dir, 'kubectl.sha512.sig'), 'utf8').trim(), 'base64');
      return createVerify('sha256')
        .update(readFileSync(join(dir, 'kubectl.sha512')))
        .verify(key, signature);
    });
    expect(verified).toEqual(['mirror-b']);
  });

  it('does not accept a guess with the wrong digest', async () => {
    const ws = await workspace('verify-binaries');
    await writeFile(join(ws.home, 'answer.yaml'), 'tampered: node-2\nsha512: 0000\n');
    const result = await grade('verify-binaries', 'find-tampered', ws.root);
    expect(result.results.map((r) => r.passed)).toEqual([true, false]);
  });
});

describe('lab "registry-bypass"', () => {
  it('fails a deny-everything policy: the positive probes keep the defence honest', async () => {
    const ws = await workspace('registry-bypass');
    const kubeconfig = join(ws.home, '.kube', 'config');
    // Asynchronous: the embedded cluster answers from this same process.
    const kubectl = (...args: string[]) =>
      promisify(execFile)('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
    await kubectl('apply', '-f', join(projectRoot, 'server', 'cluster', 'embedded', 'addons', 'kyverno', 'crds.yaml'));
    await cluster.settle();
    await applySetup(readFileSync(kubeconfig, 'utf8'), labs.get('registry-bypass')!);
    const policy = readFileSync(join(labsDir, 'registry-bypass', 'solution', 'restrict-registries.yaml'), 'utf8');
    const denyAll = policy.replace(
      "variables.images.all(i, isImage(i) && image(i).registry() == 'registry.example.com')",
      "'false'",
    );
    expect(denyAll).not.toBe(policy);
    await writeFile(join(ws.home, 'deny-all.yaml'), denyAll);
    await kubectl('apply', '-f', join(ws.home, 'deny-all.yaml'));
    const result = await grade('registry-bypass', 'defend', ws.root);
    // Every bypass is denied, but so are the shop's own images: that is not a fix.
    expect(result.results.map((r) => r.passed)).toEqual([true, true, true, true, false, false]);
    await kubectl('apply', '-f', join(labsDir, 'registry-bypass', 'solution', 'restrict-registries.yaml'));
    expect((await grade('registry-bypass', 'defend', ws.root)).passed).toBe(true);
  });
});
