import { readFileSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { gradeExercise } from '../../server/grading/exercise.ts';
import { loadLabs, type CatalogLab } from '../../server/labs/catalog.ts';
import { readCommandLog, workspacePaths } from '../../server/lab/workspace.ts';
import { labImages } from '../../server/labs/lab-images.ts';
import { archiveIdentity, readTar } from '../../server/oci/archive.ts';
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
  const ws = workspacePaths(root);
  const graded = { home: ws.home, kubeconfig: ws.kubeconfig, commands: () => readCommandLog(root) };
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
    expect(result.results.map((r) => r.passed)).toEqual([true, true, false]);
    expect(result.results[2]!.message).toBe('The Dockerfile still copies `.npmrc` into the image with COPY or ADD.');
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
