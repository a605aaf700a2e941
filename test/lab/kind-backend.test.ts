import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KindBackend, parseKindProgress } from '../../server/lab/backends/kind/backend.ts';
import { pinnedKind } from '../../server/lab/backends/kind/pinned.ts';
import { kindPreflight } from '../../server/lab/backends/kind/preflight.ts';
import type { ProvisionRequest } from '../../server/lab/backends/types.ts';
import type { LabSummary } from '../../server/labs/catalog.ts';
import { kind, RecordedRunner } from './kind-recorded.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const installId = 'a1b2c3';
const sessionId = '0a1b2c3d4e5f';
const clusterName = `lab-${installId}-0a1b2c3d`;
const GiB = 1024 ** 3;

function lab(overrides: Partial<LabSummary> = {}): LabSummary {
  return {
    id: 'l',
    dir: '/nonexistent',
    backends: ['kind'],
    personas: [],
    addons: [],
    tools: [],
    setup: [],
    ...overrides,
  };
}

async function request(overrides: Partial<ProvisionRequest> = {}) {
  const workspace = await mkdtemp(join(tmpdir(), 'kind-ws-'));
  dirs.push(workspace);
  const stages: Array<{ stage: string; message: string; progress?: number }> = [];
  const req: ProvisionRequest = {
    sessionId,
    workspace,
    lab: lab(),
    onStage: (s) => stages.push(s),
    ...overrides,
  };
  return { workspace, stages, req, kubeconfigPath: join(workspace, 'kind-kubeconfig') };
}

/** A runner where `kind get clusters` lists `existing` and `kind create` succeeds, writing the kubeconfig. */
function creatingRunner(existing: string[] = []): RecordedRunner {
  return new RecordedRunner()
    .on('kind get clusters', () =>
      existing.length ? { stdout: existing.join('\n') + '\n' } : { stderr: kind.noClusters },
    )
    .on('kind create cluster', async (call) => {
      const name = call.args[call.args.indexOf('--name') + 1]!;
      const path = call.args[call.args.indexOf('--kubeconfig') + 1]!;
      await writeFile(path, kind.kubeconfig(name));
      return { stderr: kind.createSuccess(name, path) };
    })
    .on('kind delete cluster', (call) => ({ stderr: kind.deleted(call.args[3]!) }));
}

const deletes = (runner: RecordedRunner) => runner.lines().filter((l) => l.startsWith('kind delete cluster'));

describe('kind backend: create (recorded kind v0.33 output)', () => {
  it('creates with the exact argv, the pinned node image, a v1alpha4 config and a clean environment', async () => {
    process.env.KUBECONFIG = '/should/not/leak';
    process.env.KIND_CLUSTER_NAME = 'nope';
    const runner = creatingRunner();
    const { req, workspace, stages, kubeconfigPath } = await request();
    const result = await new KindBackend({ runner, installId }).provision(req);
    delete process.env.KUBECONFIG;
    delete process.env.KIND_CLUSTER_NAME;
    const create = runner.calls.find((c) => c.line.startsWith('kind create'))!;
    expect(create.args).toEqual([
      'create',
      'cluster',
      '--name',
      clusterName,
      '--kubeconfig',
      kubeconfigPath,
      '--config',
      '-',
      '--image',
      pinnedKind.nodeImage,
      '--wait',
      '60s',
    ]);
    expect(pinnedKind.nodeImage).toMatch(/^kindest\/node:v1\.34\.\d+@sha256:[a-f0-9]{64}$/);
    expect(create.input).toBe(
      `kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: ${clusterName}\nnodes:\n  - role: control-plane\nnetworking:\n  apiServerAddress: 127.0.0.1\n`,
    );
    expect(create.env?.KUBECONFIG).toBeUndefined();
    expect(create.env?.KIND_CLUSTER_NAME).toBeUndefined();
    expect(create.env?.KIND_EXPERIMENTAL_PROVIDER).toBe('docker');
    // --wait is advisory: the node and CoreDNS are awaited explicitly.
    expect(runner.lines().slice(-2)).toEqual([
      `kubectl --kubeconfig ${kubeconfigPath} wait --for=condition=Ready nodes --all --timeout=120s`,
      `kubectl --kubeconfig ${kubeconfigPath} wait -n kube-system --for=condition=Available deployment/coredns --timeout=120s`,
    ]);
    const messages = stages.map((s) => s.message);
    expect(messages).toContain('Ensuring node image (kindest/node:v1.34.11)');
    expect(messages).toContain('Installing CNI');
    const progress = stages.filter((s) => s.stage === 'creating-cluster').map((s) => s.progress ?? 0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(await readFile(join(workspace, 'kind-cluster'), 'utf8')).toBe(`${clusterName}\n`);
    expect(result.kubeconfig).toContain(`name: kind-${clusterName}`);
    expect(result.capabilities.containers).toBe(true);
    expect(deletes(runner)).toEqual([]);
  });

  it('never deletes a cluster that already existed: kind refused, the cluster is not this call’s', async () => {
    // The name is listed by no `get clusters` answer yet exists at create (another process made it meanwhile).
    const runner = new RecordedRunner()
      .on('kind get clusters', { stderr: kind.noClusters })
      .on('kind create cluster', { exitCode: 1, stderr: kind.alreadyExists(clusterName) });
    const { req } = await request();
    await expect(new KindBackend({ runner, installId }).provision(req)).rejects.toThrow(
      `node(s) already exist for a cluster with the name "${clusterName}"`,
    );
    expect(deletes(runner)).toEqual([]);
  });

  it('reports Docker being down from kind get clusters, before creating anything', async () => {
    const runner = new RecordedRunner().on('kind get clusters', { exitCode: 1, stderr: kind.dockerDownList });
    const { req } = await request();
    await expect(new KindBackend({ runner, installId }).provision(req)).rejects.toThrow(
      'kind get clusters failed: ERROR: failed to list clusters',
    );
    expect(runner.lines()).toEqual(['kind get clusters']);
  });

  it('kills on timeout and deletes the half-made cluster it was creating', async () => {
    const runner = creatingRunner().first('kind create cluster', {
      exitCode: 143,
      timedOut: true,
      stderr: ' • Preparing nodes 📦   ...',
    });
    const { req } = await request();
    await expect(new KindBackend({ runner, installId, createTimeoutMs: 10 }).provision(req)).rejects.toThrow(
      `kind create cluster ${clusterName} failed: timed out`,
    );
    expect(deletes(runner)).toEqual([
      `kind delete cluster --name ${clusterName} --kubeconfig ${req.workspace}/kind-kubeconfig`,
    ]);
  });

  it('cancels an in-flight create (reset/end) and deletes what it had made', async () => {
    const abort = new AbortController();
    const runner = new RecordedRunner().on('kind get clusters', { stderr: kind.noClusters }).on(
      'kind create cluster',
      (_call, options) =>
        new Promise((resolve) => {
          options.onStderrLine?.(' • Preparing nodes 📦   ...');
          options.signal!.addEventListener('abort', () =>
            resolve({ exitCode: 143, stderr: ' • Preparing nodes 📦   ...' }),
          );
          abort.abort(new Error('the session was reset'));
        }),
    );
    const { req } = await request({ signal: abort.signal });
    await expect(new KindBackend({ runner, installId }).provision(req)).rejects.toThrow('failed: cancelled');
    expect(deletes(runner)).toHaveLength(1);
  });

  it('fails and cleans up when the node it created never becomes Ready', async () => {
    const runner = creatingRunner().on('kubectl', {
      exitCode: 1,
      stderr: `error: timed out waiting for the condition on nodes/${clusterName}-control-plane`,
    });
    const { req } = await request();
    await expect(new KindBackend({ runner, installId }).provision(req)).rejects.toThrow(
      'did not become ready: error: timed out waiting for the condition',
    );
    expect(deletes(runner)).toHaveLength(1);
  });
});

describe('kind backend: recovery and lifecycle', () => {
  it('adopts a cluster that still exists: restarts its stopped node, re-reads the kubeconfig, no create or delete', async () => {
    const runner = new RecordedRunner()
      .on('kind get clusters', { stdout: `kind\n${clusterName}\n` })
      .on('docker ps -a', { stdout: `${clusterName}-control-plane\n` })
      .on('kind get kubeconfig', { stdout: kind.kubeconfig(clusterName, 40_001) });
    const { req, stages } = await request({ resuming: true });
    await writeFile(join(req.workspace, 'kind-cluster'), `${clusterName}\n`);
    const result = await new KindBackend({ runner, installId }).provision(req);
    expect(runner.lines()).toContain(`docker start ${clusterName}-control-plane`);
    expect(runner.lines()).toContain(`kind get kubeconfig --name ${clusterName}`);
    expect(runner.lines().filter((l) => l.startsWith('kind create') || l.startsWith('kind delete'))).toEqual([]);
    expect(result.kubeconfig).toContain('server: https://127.0.0.1:40001');
    expect(stages[0]!.message).toBe(`Reconnecting to kind cluster ${clusterName}`);
  });

  it('a new session never adopts an existing cluster of the same name, and never deletes it', async () => {
    const runner = creatingRunner([clusterName]);
    const { req } = await request();
    await expect(new KindBackend({ runner, installId }).provision(req)).rejects.toThrow(
      `a kind cluster named ${clusterName} already exists and is not this session's`,
    );
    expect(runner.lines()).toEqual(['kind get clusters']);
  });

  it('an adopted cluster that is not Ready fails the session but is not deleted', async () => {
    const runner = new RecordedRunner()
      .on('kind get clusters', { stdout: `${clusterName}\n` })
      .on('kind get kubeconfig', { stdout: kind.kubeconfig(clusterName) })
      .on('kubectl', { exitCode: 1, stderr: 'error: timed out waiting for the condition' });
    const { req } = await request({ resuming: true });
    await expect(new KindBackend({ runner, installId }).provision(req)).rejects.toThrow('did not become ready');
    expect(deletes(runner)).toEqual([]);
  });

  it('a resumed session whose cluster is gone gets a new one, marked fresh so lab setup runs again', async () => {
    const runner = creatingRunner();
    const { req } = await request({ resuming: true });
    const result = await new KindBackend({ runner, installId }).provision(req);
    expect(result.fresh).toBe(true);
    expect(runner.lines().filter((l) => l.startsWith('kind create'))).toHaveLength(1);
  });

  it('never reaps a cluster that is being created', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runner = creatingRunner().first('kind create cluster', async (call) => {
      await gate;
      const path = call.args[call.args.indexOf('--kubeconfig') + 1]!;
      await writeFile(path, kind.kubeconfig(clusterName));
      return { stderr: kind.createSuccess(clusterName, path) };
    });
    const backend = new KindBackend({ runner, installId, knownSessions: () => [] });
    const { req } = await request();
    const provisioning = backend.provision(req);
    await expect.poll(() => runner.lines().some((l) => l.startsWith('kind create'))).toBe(true);
    // Half-created clusters are listed by `kind get clusters` too.
    runner.first('kind get clusters', { stdout: `${clusterName}\n` }, true);
    expect(await backend.reapOrphans()).toEqual({ deleted: [], failed: [] });
    release();
    await provisioning;
    expect(deletes(runner)).toEqual([]);
  });

  it("reaps only this install's orphans: another install's lab-* clusters survive", async () => {
    const mine = `lab-${installId}-0a1b2c3d`;
    const myOrphan = `lab-${installId}-deadbeef`;
    const theirs = ['lab-ffeedd-0a1b2c3d', 'lab-ffeedd-feedf00d', 'lab-deadbeef'];
    const runner = creatingRunner([...theirs, 'kind', mine, myOrphan]);
    const workspace = await mkdtemp(join(tmpdir(), 'kind-ws-'));
    dirs.push(workspace);
    const backend = new KindBackend({ runner, installId, knownSessions: () => [{ id: sessionId, workspace }] });
    expect(await backend.reapOrphans()).toEqual({ deleted: [myOrphan], failed: [] });
    expect(deletes(runner).map((l) => l.split(' ')[4])).toEqual([myOrphan]);
  });

  it('surfaces a delete that failed', async () => {
    const runner = creatingRunner([`lab-${installId}-deadbeef`]).first('kind delete cluster', {
      exitCode: 1,
      stderr: 'ERROR: failed to delete cluster "x": error listing nodes',
    });
    const reaped = await new KindBackend({ runner, installId, knownSessions: () => [] }).reapOrphans();
    expect(reaped.deleted).toEqual([]);
    expect(reaped.failed[0]!.error).toContain('error listing nodes');
    const { req } = await request();
    await expect(new KindBackend({ runner, installId }).destroy(sessionId, req.workspace)).rejects.toThrow(
      'kind delete cluster --name',
    );
  });

  it('runs at most N kind creates at once (global semaphore)', async () => {
    let running = 0;
    let most = 0;
    const runner = creatingRunner();
    const base = runner.run.bind(runner);
    runner.run = async (command, args, options) => {
      const creating = args[0] === 'create';
      if (creating) most = Math.max(most, ++running);
      try {
        if (creating) await new Promise((r) => setTimeout(r, 20));
        return await base(command, args, options);
      } finally {
        if (creating) running--;
      }
    };
    const backend = new KindBackend({ runner, installId, maxConcurrentCreates: 2, memoryBudgetBytes: 100 * GiB });
    const reqs = await Promise.all(
      ['11111111aaaa', '22222222aaaa', '33333333aaaa', '44444444aaaa'].map((id) => request({ sessionId: id })),
    );
    await Promise.all(reqs.map((r) => backend.provision(r.req)));
    expect(most).toBe(2);
    expect(runner.lines().filter((l) => l.startsWith('kind create'))).toHaveLength(4);
    expect(reqs.some((r) => r.stages.some((s) => s.message === 'Waiting for a free slot to create the cluster'))).toBe(
      true,
    );
  });

  it('refuses a cluster past the host memory budget, before running kind', async () => {
    const runner = creatingRunner();
    const backend = new KindBackend({ runner, installId, memoryBudgetBytes: 2 * GiB, clusterMemoryBytes: 1.5 * GiB });
    await backend.provision((await request({ sessionId: '11111111aaaa' })).req);
    await expect(backend.provision((await request({ sessionId: '22222222aaaa' })).req)).rejects.toThrow(
      /memory budget \(1 cluster\(s\) use 1\.5 GiB of 2\.0 GiB; this lab needs 1\.5 GiB\)/,
    );
    expect(runner.lines().filter((l) => l.startsWith('kind create'))).toHaveLength(1);
  });

  it('hands a warm cluster to a session of a pooled lab, then refills the pool', async () => {
    const runner = creatingRunner();
    const poolDir = await mkdtemp(join(tmpdir(), 'kind-pool-'));
    dirs.push(poolDir);
    const pooled = lab({ id: 'popular' });
    const backend = new KindBackend({
      runner,
      installId,
      warmPool: { popular: 1 },
      poolDir,
      memoryBudgetBytes: 100 * GiB,
    });
    await backend.fillPool(pooled);
    const warm = runner.calls.find((c) => c.line.startsWith('kind create'))!.args[3]!;
    expect(warm).toMatch(new RegExp(`^lab-${installId}-w[a-f0-9]{7}$`));
    const { req, stages } = await request({ lab: pooled });
    const result = await backend.provision(req);
    expect(stages.map((s) => s.message)).toContain(`Using the ready kind cluster ${warm}`);
    expect(await readFile(join(req.workspace, 'kind-cluster'), 'utf8')).toBe(`${warm}\n`);
    expect(result.kubeconfig).toContain(`kind-${warm}`);
    await expect.poll(() => runner.lines().filter((l) => l.startsWith('kind create')).length).toBe(2);
  });
});

describe('kind preflight (recorded)', () => {
  const sysctl = (watches: string, instances: string) => async (path: string) =>
    path.endsWith('watches') ? watches : instances;

  it('passes with kind, a running Docker and raised inotify limits', async () => {
    const runner = new RecordedRunner()
      .on('kind version', { stdout: kind.version })
      .on('docker info', { stdout: '"28.3.3"' });
    expect(await kindPreflight(runner, {}, sysctl('524288', '512'))).toEqual({ ok: true, kindVersion: 'v0.33.0' });
  });

  it('names each missing piece with its fix', async () => {
    const runner = new RecordedRunner().on('kind version', { exitCode: 127, notFound: true }).on('docker info', {
      exitCode: 1,
      stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    });
    const result = await kindPreflight(runner, {}, sysctl('8192', '128'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.missing).toEqual(['kind', 'docker-daemon', 'inotify']);
    expect(result.reason).toContain('install kind v0.33.0');
    expect(result.reason).toContain('Docker is not running');
    expect(result.reason).toContain('sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512');
  });
});

describe('kind progress lines', () => {
  it('parses the steps kind prints without a TTY', () => {
    expect(parseKindProgress(' • Starting control-plane 🕹️  ...')).toMatchObject({
      step: 'Starting control-plane',
      done: false,
    });
    expect(parseKindProgress(' ✓ Installing CNI 🔌')).toMatchObject({ step: 'Installing CNI', done: true });
    expect(parseKindProgress(' ✗ Preparing nodes 📦 ')).toMatchObject({ step: 'Preparing nodes', failed: true });
    expect(parseKindProgress(' • Ready after 15s 💚')).toBeUndefined();
    expect(parseKindProgress('Set kubectl context to "kind-x"')).toBeUndefined();
  });
});
