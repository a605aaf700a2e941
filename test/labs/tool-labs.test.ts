import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { gradeExercise } from '../../server/grading/exercise.ts';
import { loadLabs } from '../../server/labs/catalog.ts';
import type { CatalogLab } from '../../server/labs/catalog.ts';
import { readCommandLog, workspacePaths } from '../../server/lab/workspace.ts';
import { projectRoot } from '../helpers/project.ts';

/**
 * Labs whose tools (trivy, cosign, kind) are not on this machine are graded here against
 * real recorded outputs: the Trivy reports of the shared corpus, and the command lines and
 * key files cosign produces.
 */
let cluster: EmbeddedCluster;
let labs: Map<string, CatalogLab>;
const dirs: string[] = [];
const trivyReport = join(projectRoot, '..', 'shared', 'conformance', 'tools', 'trivy', 'debian-buster.json.golden');

beforeAll(async () => {
  cluster = await new EmbeddedCluster().start();
  labs = await loadLabs(join(projectRoot, 'labs'));
});
afterAll(async () => {
  await cluster.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function workspace(commands: Array<[string, number]> = []): Promise<{ root: string; home: string }> {
  const root = await mkdtemp(join(tmpdir(), 'tool-lab-'));
  dirs.push(root);
  const home = join(root, 'home');
  await mkdir(join(home, '.kube'), { recursive: true });
  await writeFile(join(home, '.kube', 'config'), await cluster.kubeconfig());
  const log = commands
    .map(
      ([c, exit], i) =>
        `${1000 + i}\t${exit}\t${Buffer.from(home).toString('base64')}\t${Buffer.from(c).toString('base64')}`,
    )
    .join('\n');
  await writeFile(join(root, 'commands.log'), log ? `${log}\n` : '');
  return { root, home };
}

async function grade(labId: string, exercise: string, root: string) {
  const lab = labs.get(labId)!;
  const ws = workspacePaths(root);
  const graded = { home: ws.home, kubeconfig: ws.kubeconfig, commands: () => readCommandLog(root) };
  return gradeExercise(lab.definition, lab.dir, exercise, graded, 'en', { pollSeconds: 0 });
}

describe.skipIf(!existsSync(trivyReport))('lab "trivy-scan" against a real Trivy report', () => {
  const scan =
    'trivy image --format json --output reports/debian-buster.json ghcr.io/aquasecurity/trivy-test-images:debian-buster';

  it('passes with the recorded report and a completed scan, fails without them', async () => {
    const empty = await workspace();
    expect((await grade('trivy-scan', 'scan-image', empty.root)).passed).toBe(false);
    const done = await workspace([[scan, 0]]);
    await mkdir(join(done.home, 'reports'));
    await cp(trivyReport, join(done.home, 'reports', 'debian-buster.json'));
    const result = await grade('trivy-scan', 'scan-image', done.root);
    expect(result.results.map((r) => r.passed)).toEqual([true, true]);
    // A scan that failed (exit 1) does not count.
    const failedScan = await workspace([[scan, 1]]);
    expect((await grade('trivy-scan', 'scan-image', failedScan.root)).results[0]!.message).toBe(
      'Run a scan with trivy image and --format json (it must exit with code 0).',
    );
  });

  it('grades the answers against the report', async () => {
    const report = JSON.parse(readFileSync(trivyReport, 'utf8')) as {
      Results: Array<{ Vulnerabilities?: Array<{ Severity: string }> }>;
    };
    const critical = report.Results.flatMap((r) => r.Vulnerabilities ?? []).filter(
      (v) => v.Severity === 'CRITICAL',
    ).length;
    const ws = await workspace();
    await mkdir(join(ws.home, 'reports'));
    await cp(trivyReport, join(ws.home, 'reports', 'debian-buster.json'));
    await writeFile(join(ws.home, 'answers.yaml'), `critical: ${critical}\nfixedPackage: libidn2-0\n`);
    expect((await grade('trivy-scan', 'read-report', ws.root)).passed).toBe(true);
    await writeFile(join(ws.home, 'answers.yaml'), `critical: ${critical + 3}\nfixedPackage: bash\n`);
    const wrong = await grade('trivy-scan', 'read-report', ws.root);
    expect(wrong.passed).toBe(false);
    expect(wrong.results.at(-1)!.message).toBe(
      'Your answers do not match the report: look again at Severity and FixedVersion.',
    );
  });
});

describe('lab "sign-and-verify" against cosign outputs', () => {
  const privateKey =
    '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n';
  const publicKey = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n';

  it('checks the key pair cosign writes', async () => {
    const none = await workspace();
    expect((await grade('sign-and-verify', 'keys', none.root)).passed).toBe(false);
    const ws = await workspace([['COSIGN_PASSWORD=lab cosign generate-key-pair', 0]]);
    await writeFile(join(ws.home, 'cosign.key'), privateKey);
    await writeFile(join(ws.home, 'cosign.pub'), publicKey);
    expect((await grade('sign-and-verify', 'keys', ws.root)).passed).toBe(true);
  });

  it('requires signing by digest in the classic format, then a verify that exited 0', async () => {
    const digest = 'localhost:5001/app@sha256:4c1e7dbf8a12f3c4ad2a9b3d7c5e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e';
    const byTag = await workspace([['cosign sign --key cosign.key -y localhost:5001/app:1.0', 0]]);
    expect((await grade('sign-and-verify', 'sign-verify', byTag.root)).passed).toBe(false);
    const good = await workspace([
      [
        `COSIGN_PASSWORD=lab cosign sign --key cosign.key --use-signing-config=false --new-bundle-format=false --tlog-upload=false -y ${digest}`,
        0,
      ],
      ['cosign verify --key cosign.pub --insecure-ignore-tlog localhost:5001/app:1.0', 0],
    ]);
    expect((await grade('sign-and-verify', 'sign-verify', good.root)).passed).toBe(true);
    // cosign verify exits 10 when there is no signature: that is not a success.
    const unsigned = await workspace([
      [`cosign sign --key cosign.key --new-bundle-format=false -y ${digest}`, 0],
      ['cosign verify --key cosign.pub localhost:5001/app:1.0', 10],
    ]);
    expect((await grade('sign-and-verify', 'sign-verify', unsigned.root)).passed).toBe(false);
  });
});

describe('lab "harden-dockerfile"', () => {
  it.each([
    [
      'the starter Dockerfile',
      'labs/harden-dockerfile/files/Dockerfile',
      'it has 1 stage(s) and at least 2 are expected (use a multi-stage build)',
    ],
    [
      'a multi-stage one on latest',
      null,
      'the image node:latest uses the latest tag or no tag; pin a version or a digest',
    ],
    ['a multi-stage one running as root', null, 'the final stage runs as root; add USER with an unprivileged user'],
    [
      'a multi-stage one on a full distribution',
      null,
      'the final stage starts from node:22.12; use a minimal base (distroless, alpine, slim)',
    ],
  ])('rejects %s with a precise reason', async (name, file, reason) => {
    const ws = await workspace();
    const texts: Record<string, string> = {
      'a multi-stage one on latest':
        'FROM node:latest AS build\nRUN true\nFROM gcr.io/distroless/nodejs22-debian12:nonroot\nUSER 65532\n',
      'a multi-stage one running as root':
        'FROM node:22.12-alpine AS build\nRUN true\nFROM node:22.12-alpine\nCOPY --from=build /app /app\n',
      'a multi-stage one on a full distribution':
        'FROM node:22.12-alpine AS build\nRUN true\nFROM node:22.12\nUSER node\n',
    };
    await writeFile(join(ws.home, 'Dockerfile'), file ? readFileSync(join(projectRoot, file), 'utf8') : texts[name]!);
    const result = await grade('harden-dockerfile', 'multi-stage', ws.root);
    expect(result.results[0]!.message).toBe(`The Dockerfile Dockerfile is not hardened yet: ${reason}`);
  });
});
