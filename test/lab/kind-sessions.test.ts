import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabServer, type LabServer } from '../../server/lab/server.ts';
import { ApiError } from '../../src/contracts/protocol.ts';
import { projectRoot } from '../helpers/project.ts';
import { kind, RecordedRunner } from './kind-recorded.ts';

/**
 * The lab server with the kind backend behind a recorded runner (this machine has no Docker):
 * backend choice under `auto`, the Kyverno add-on's verified install and readiness probe, and
 * a restart that adopts the live cluster.
 */

const labsDir = join(projectRoot, 'labs');
const raisedLimits = async (path: string) => (path.endsWith('watches') ? '524288' : '512');
let root: string;
let kyvernoLock: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kind-sessions-'));
  await chmod(root, 0o755); // learners' uids must reach their workspaces under it
  // A stand-in manifest with its checksum recorded, so the verified-apply path runs; the real one
  // is rendered from the Kyverno chart by `labs addons render`.
  const manifest = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kyverno\n';
  await writeFile(join(root, 'kyverno-test.yaml'), manifest);
  kyvernoLock = join(root, 'kyverno.lock.json');
  await writeFile(
    kyvernoLock,
    JSON.stringify({
      chart: 'kyverno',
      repo: 'https://kyverno.github.io/kyverno/',
      chartVersion: '3.9.0',
      appVersion: 'v1.19.0',
      values: 'kyverno-values.yaml',
      manifest: 'kyverno-test.yaml',
      sha256: createHash('sha256').update(manifest).digest('hex'),
    }),
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

const denied = (policy: string) =>
  `Error from server: admission webhook "validate.kyverno.svc-fail" denied the request: \n\nresource Pod/lab-probe/probe was blocked due to the following policies \n\n${policy}:\n  deny-probe: readiness probe`;

/** A Docker host where kind works; `existing` clusters are listed by `kind get clusters`. */
function kindHost(existing: () => string[]): RecordedRunner {
  return new RecordedRunner()
    .on('kind version', { stdout: kind.version })
    .on('docker info', { stdout: '"28.3.3"' })
    .on('kind get clusters', () => {
      const names = existing();
      return names.length ? { stdout: names.join('\n') + '\n' } : { stderr: kind.noClusters };
    })
    .on('kind get kubeconfig', (call) => ({ stdout: kind.kubeconfig(call.args[3]!) }))
    .on('kind create cluster', async (call) => {
      const name = call.args[call.args.indexOf('--name') + 1]!;
      const path = call.args[call.args.indexOf('--kubeconfig') + 1]!;
      await writeFile(path, kind.kubeconfig(name));
      return { stderr: kind.createSuccess(name, path) };
    })
    .on('kind delete cluster', (call) => ({ stderr: kind.deleted(call.args[3]!) }))
    .on('docker ps', { stdout: '' })
    .on('kubectl', (call) =>
      call.args.includes('--dry-run=server') ? { exitCode: 1, stderr: denied('lab-readiness-probe') } : {},
    );
}

async function server(dataDir: string, runner: RecordedRunner | undefined, failing = false): Promise<LabServer> {
  return createLabServer({
    dataDir,
    labsDir,
    backend: 'auto',
    bwrap: false,
    diskLimits: false,
    kind: {
      runner: failing
        ? new RecordedRunner()
            .on('kind version', { exitCode: 127, notFound: true })
            .on('docker info', { exitCode: 127, notFound: true })
        : runner,
      readSysctl: raisedLimits,
      kyverno: { lockPath: kyvernoLock },
      sleep: async () => {},
    },
  });
}

describe('backend choice under --backend auto', () => {
  it('with a passing kind preflight: trusted-registries on embedded, sign-and-verify on kind', async () => {
    const dataDir = await mkdtemp(join(root, 'data-'));
    const clusters: string[] = [];
    const runner = kindHost(() => clusters);
    const lab = await server(dataDir, runner);
    try {
      expect(lab.kind).toBeDefined();
      const trusted = await lab.sessions.create('learner-a', 'trusted-registries');
      const signing = await lab.sessions.create('learner-a', 'sign-and-verify');
      expect([trusted.backend, trusted.backendReason]).toEqual(['embedded', 'first-choice']);
      expect([signing.backend, signing.backendReason]).toEqual(['kind', 'only-backend']);
      const ready = await lab.sessions.whenReady(signing.id);
      expect(ready.state).toBe('ready');
      expect(runner.lines().filter((l) => l.startsWith('kind create cluster'))).toHaveLength(1);
      expect(runner.lines().some((l) => l.includes('trusted-registries'))).toBe(false);
    } finally {
      await lab.close();
    }
  });

  it('with a failing preflight the kind-only lab is refused with what to install', async () => {
    const dataDir = await mkdtemp(join(root, 'data-'));
    const lab = await server(dataDir, undefined, true);
    try {
      expect(lab.kind).toBeUndefined();
      const error = await lab.sessions.create('learner-b', 'sign-and-verify').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      const body = (error as ApiError).body();
      expect(body.error).toBe('backend_unavailable');
      expect(body.missing).toEqual(['kind', 'docker']);
      expect(body.message).toContain('kind is not installed');
      expect((await lab.sessions.create('learner-b', 'trusted-registries')).backend).toBe('embedded');
      expect(lab.kindStatus).toContain('kind backend: not available: kind is not installed');
    } finally {
      await lab.close();
    }
  });
});

describe('--backend embedded', () => {
  it('says the operator chose embedded, without running the kind preflight', async () => {
    const runner = kindHost(() => []);
    const lab = await createLabServer({
      dataDir: await mkdtemp(join(root, 'data-')),
      labsDir,
      backend: 'embedded',
      bwrap: false,
      diskLimits: false,
      kind: { runner },
    });
    try {
      const error = (await lab.sessions.create('l', 'sign-and-verify').catch((e: unknown) => e)) as ApiError;
      expect(error.body().missing).toEqual(['operator-embedded']);
      expect(runner.calls).toEqual([]);
    } finally {
      await lab.close();
    }
  });
});

describe('Kyverno on kind', () => {
  it('verifies the manifest checksum before applying, shows "Installing Kyverno" stages, ready only after the probe is denied', async () => {
    const dataDir = await mkdtemp(join(root, 'data-'));
    const runner = kindHost(() => []);
    const lab = await server(dataDir, runner);
    try {
      const s = await lab.sessions.create('learner-c', 'sign-and-verify');
      const info = await lab.sessions.whenReady(s.id);
      const kyverno = info.stages.filter((st) => st.message.startsWith('Installing Kyverno'));
      expect(kyverno.map((st) => st.message)).toEqual([
        'Installing Kyverno: checking the manifest checksum',
        'Installing Kyverno: applying Kyverno v1.19.0',
        'Installing Kyverno: waiting for its deployments',
        'Installing Kyverno: waiting for its pods to be Ready',
        'Installing Kyverno: waiting for a probe policy to be Ready',
        'Installing Kyverno: checking that a probe pod is denied',
        'Installing Kyverno: ready',
      ]);
      expect(kyverno.every((st) => st.stage === 'installing-add-ons' && typeof st.progress === 'number')).toBe(true);
      const stages = info.stages.map((st) => st.message);
      expect(stages.indexOf('Ready')).toBeGreaterThan(stages.indexOf('Installing Kyverno: ready'));
      const kubectl = runner.lines().filter((l) => l.startsWith('kubectl'));
      const order = [
        'apply --server-side',
        'rollout status',
        '--selector !job-name',
        'clusterpolicy/lab-readiness-probe',
        '--dry-run=server',
      ];
      const at = order.map((o) => kubectl.findIndex((l) => l.includes(o)));
      expect(at.every((i) => i >= 0)).toBe(true);
      expect(at).toEqual([...at].sort((a, b) => a - b));
    } finally {
      await lab.close();
    }
  });

  it('a probe that is admitted keeps the session from ready', async () => {
    const dataDir = await mkdtemp(join(root, 'data-'));
    const runner = kindHost(() => []).first('kubectl', (call) =>
      call.args.includes('--dry-run=server') ? { stdout: 'pod/probe created (server dry run)' } : {},
    );
    const lab = await server(dataDir, runner);
    try {
      const s = await lab.sessions.create('learner-d', 'sign-and-verify');
      const info = await lab.sessions.whenReady(s.id).catch(() => lab.sessions.get(s.id));
      expect(info.state).toBe('failed');
      expect(info.error).toContain('Kyverno is running but does not enforce policies yet');
      // This call created the cluster, so it cleans it up.
      expect(runner.lines().filter((l) => l.startsWith('kind delete'))).toHaveLength(1);
    } finally {
      await lab.close();
    }
  });

  it('refuses a tampered manifest before anything is applied', async () => {
    const dataDir = await mkdtemp(join(root, 'data-'));
    const tampered = join(root, 'tampered');
    await rm(tampered, { recursive: true, force: true });
    await mkdir(tampered);
    const lock = JSON.parse(await readFile(kyvernoLock, 'utf8')) as Record<string, string>;
    await writeFile(join(tampered, 'kyverno-test.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: evil\n');
    await writeFile(join(tampered, 'kyverno.lock.json'), JSON.stringify(lock));
    const runner = kindHost(() => []);
    const lab = await createLabServer({
      dataDir,
      labsDir,
      backend: 'auto',
      bwrap: false,
      diskLimits: false,
      kind: { runner, readSysctl: raisedLimits, kyverno: { lockPath: join(tampered, 'kyverno.lock.json') } },
    });
    try {
      const s = await lab.sessions.create('learner-e', 'sign-and-verify');
      const info = await lab.sessions.whenReady(s.id).catch(() => lab.sessions.get(s.id));
      expect(info.state).toBe('failed');
      expect(info.error).toContain('does not match its recorded checksum');
      expect(runner.lines().some((l) => l.includes('apply --server-side'))).toBe(false);
    } finally {
      await lab.close();
    }
  });
});

describe('restart with a live kind cluster', () => {
  it('comes back ready with the same cluster, and no kind delete (or create) is issued', async () => {
    const dataDir = await mkdtemp(join(root, 'data-'));
    const clusters: string[] = [];
    const first = kindHost(() => clusters);
    const before = await server(dataDir, first);
    const s = await before.sessions.create('learner-f', 'sign-and-verify');
    await before.sessions.whenReady(s.id);
    const workspace = before.sessions.workspace(s.id);
    const name = (await readFile(join(workspace, 'kind-cluster'), 'utf8')).trim();
    clusters.push(name, 'lab-ffeedd-0a1b2c3d'); // another install's cluster on the same host
    await before.close();

    const second = kindHost(() => clusters);
    const after = await server(dataDir, second);
    try {
      const info = await after.sessions.whenReady(s.id);
      expect(info.state).toBe('ready');
      expect((await readFile(join(workspace, 'kind-cluster'), 'utf8')).trim()).toBe(name);
      expect(second.lines()).toContain(`kind get kubeconfig --name ${name}`);
      expect(second.lines().filter((l) => l.startsWith('kind delete') || l.startsWith('kind create'))).toEqual([]);
    } finally {
      await after.close();
    }
  });
});

describe('single-tenant rule', () => {
  it('refuses kind on a non-loopback bind unless the operator opts in', async () => {
    const refused = await createLabServer({
      dataDir: await mkdtemp(join(root, 'data-')),
      labsDir,
      host: '0.0.0.0',
      bwrap: false,
      diskLimits: false,
      kind: { runner: kindHost(() => []), readSysctl: raisedLimits },
    });
    try {
      expect(refused.kind).toBeUndefined();
      const error = (await refused.sessions.create('l', 'sign-and-verify').catch((e: unknown) => e)) as ApiError;
      expect(error.body().missing).toEqual(['single-tenant']);
      expect(error.message).toContain('--kind-shared-host');
    } finally {
      await refused.close();
    }
    const accepted = await createLabServer({
      dataDir: await mkdtemp(join(root, 'data-')),
      labsDir,
      host: '0.0.0.0',
      kindSharedHost: true,
      bwrap: false,
      diskLimits: false,
      kind: { runner: kindHost(() => []), readSysctl: raisedLimits },
    });
    try {
      expect(accepted.kind).toBeDefined();
    } finally {
      await accepted.close();
    }
  });
});

describe('delete failures', () => {
  it('End still ends the session (the reaper retries); Reset refuses to hand the old cluster back', async () => {
    const dataDir = await mkdtemp(join(root, 'data-'));
    const clusters: string[] = [];
    const runner = kindHost(() => clusters).first('kind delete cluster', {
      exitCode: 1,
      stderr:
        'ERROR: failed to delete cluster "x": failed to delete nodes: command "docker rm -f -v x-control-plane" failed with error: exit status 1',
    });
    const lab = await server(dataDir, runner);
    try {
      const a = await lab.sessions.create('learner-g', 'sign-and-verify');
      await lab.sessions.whenReady(a.id);
      const reset = (await lab.sessions.reset(a.id, 'learner-g').catch((e: unknown) => e)) as ApiError;
      expect(reset.code).toBe('cluster_delete_failed');
      expect(reset.message).toContain('docker rm -f -v');
      await lab.sessions.end(a.id, 'learner-g');
      expect(() => lab.sessions.get(a.id)).toThrow('There is no open session');
    } finally {
      await lab.close();
    }
  });
});
