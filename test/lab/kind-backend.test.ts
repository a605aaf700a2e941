import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  execaRunner,
  type CommandResult,
  type CommandRunner,
  type RunOptions,
} from '../../server/lab/backends/command-runner.ts';
import { KindBackend, parseKindProgress } from '../../server/lab/backends/kind.ts';
import type { LabSummary } from '../../server/labs/catalog.ts';

/** Plain (non-TTY) stderr of a successful `kind create cluster`, as kind v0.2x prints it. */
const createSuccess = [
  'Creating cluster "lab-0a1b2c3d" ...',
  ' • Ensuring node image (kindest/node:v1.32.5) 🖼  ...',
  ' ✓ Ensuring node image (kindest/node:v1.32.5) 🖼',
  ' • Preparing nodes 📦   ...',
  ' ✓ Preparing nodes 📦 ',
  ' • Writing configuration 📜  ...',
  ' ✓ Writing configuration 📜',
  ' • Starting control-plane 🕹️  ...',
  ' ✓ Starting control-plane 🕹️',
  ' • Installing CNI 🔌  ...',
  ' ✓ Installing CNI 🔌',
  ' • Installing StorageClass 💾  ...',
  ' ✓ Installing StorageClass 💾',
  ' • Waiting ≤ 1m0s for control-plane = Ready ⏳  ...',
  ' ✓ Waiting ≤ 1m0s for control-plane = Ready ⏳',
  ' • Ready after 15s 💚',
  'Set kubectl context to "kind-lab-0a1b2c3d"',
].join('\n');

const alreadyExists =
  'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "lab-0a1b2c3d"';
const dockerDown = [
  'ERROR: failed to create cluster: failed to get docker info: command "docker info --format \'{{json .}}\'" failed with error: exit status 1',
  'Command Output: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
].join('\n');
const invalidName =
  "ERROR: failed to create cluster: 'Lab_X' is not a valid cluster name, cluster names must match `^[a-z0-9.-]+$`";

interface Call {
  command: string;
  args: string[];
  input?: string;
  env?: Record<string, string | undefined>;
}

/** Replays recorded outputs by matching the start of the command line. */
class RecordedRunner implements CommandRunner {
  readonly calls: Call[] = [];
  private readonly script: Array<[prefix: string, result: Partial<CommandResult>, stderrLines?: string]>;
  constructor(script: RecordedRunner['script']) {
    this.script = script;
  }
  async run(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
    this.calls.push({ command, args, input: options.input, env: options.env });
    const line = [command, ...args].join(' ');
    const entry = this.script.find(([prefix]) => line.startsWith(prefix));
    if (!entry) return { exitCode: 0, stdout: '', stderr: '', timedOut: false, notFound: false };
    const [, result, stderrLines] = entry;
    for (const l of (stderrLines ?? result.stderr ?? '').split('\n')) options.onStderrLine?.(l);
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false, notFound: false, ...result };
  }
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function request(runner: RecordedRunner) {
  const workspace = await mkdtemp(join(tmpdir(), 'kind-ws-'));
  dirs.push(workspace);
  await writeFile(join(workspace, 'kind-kubeconfig'), 'apiVersion: v1\nkind: Config\n');
  const stages: string[] = [];
  const lab: LabSummary = {
    id: 'l',
    dir: workspace,
    backends: ['kind'],
    personas: [],
    addons: [],
    tools: [],
    setup: [],
  };
  return {
    runner,
    workspace,
    stages,
    req: { sessionId: '0a1b2c3d4e5f', workspace, lab, onStage: (s: { message: string }) => stages.push(s.message) },
  };
}

describe('kind backend (recorded kind output)', () => {
  it('creates a cluster with the exact argv, a generated v1alpha4 config and a clean environment', async () => {
    process.env.KUBECONFIG = '/should/not/leak';
    process.env.KIND_CLUSTER_NAME = 'nope';
    const runner = new RecordedRunner([['kind create cluster', { stderr: createSuccess }]]);
    const { req, workspace, stages } = await request(runner);
    const result = await new KindBackend({ runner }).provision(req);
    delete process.env.KUBECONFIG;
    delete process.env.KIND_CLUSTER_NAME;
    const create = runner.calls[0]!;
    expect(create.command).toBe('kind');
    expect(create.args).toEqual([
      'create',
      'cluster',
      '--name',
      'lab-0a1b2c3d',
      '--kubeconfig',
      join(workspace, 'kind-kubeconfig'),
      '--config',
      '-',
      '--wait',
      '60s',
    ]);
    expect(create.input).toBe(
      'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: lab-0a1b2c3d\nnodes:\n  - role: control-plane\nnetworking:\n  apiServerAddress: 127.0.0.1\n',
    );
    expect(create.env?.KUBECONFIG).toBeUndefined();
    expect(create.env?.KIND_CLUSTER_NAME).toBeUndefined();
    expect(create.env?.KIND_EXPERIMENTAL_PROVIDER).toBe('docker');
    // --wait is advisory: nodes and CoreDNS are awaited explicitly.
    expect(runner.calls.slice(1).map((c) => [c.command, ...c.args].join(' '))).toEqual([
      `kubectl --kubeconfig ${join(workspace, 'kind-kubeconfig')} wait --for=condition=Ready nodes --all --timeout=120s`,
      `kubectl --kubeconfig ${join(workspace, 'kind-kubeconfig')} wait -n kube-system --for=condition=Available deployment/coredns --timeout=120s`,
    ]);
    expect(stages).toContain('Ensuring node image (kindest/node:v1.32.5)');
    expect(stages).toContain('Installing CNI');
    expect(result.capabilities.containers).toBe(true);
  });

  it.each([
    ['already exists', alreadyExists, 'node(s) already exist for a cluster with the name "lab-0a1b2c3d"'],
    ['docker not running', dockerDown, 'failed to get docker info'],
    ['invalid name', invalidName, 'is not a valid cluster name'],
  ])('reports "%s" and deletes what may be left', async (_, stderr, text) => {
    const runner = new RecordedRunner([['kind create cluster', { exitCode: 1, stderr }]]);
    const { req, workspace } = await request(runner);
    await expect(new KindBackend({ runner }).provision(req)).rejects.toThrow(text);
    expect(runner.calls.at(-1)!.args).toEqual([
      'delete',
      'cluster',
      '--name',
      'lab-0a1b2c3d',
      '--kubeconfig',
      join(workspace, 'kind-kubeconfig'),
    ]);
  });

  it('kills on timeout and deletes the half-made cluster', async () => {
    const runner = new RecordedRunner([
      ['kind create cluster', { exitCode: 143, timedOut: true, stderr: ' • Preparing nodes 📦   ...' }],
    ]);
    const { req } = await request(runner);
    await expect(new KindBackend({ runner, createTimeoutMs: 10 }).provision(req)).rejects.toThrow(
      'kind create cluster lab-0a1b2c3d failed: timed out',
    );
    expect(runner.calls.map((c) => c.args.slice(0, 2).join(' '))).toEqual(['create cluster', 'delete cluster']);
  });

  it('fails (and cleans up) when the node never becomes Ready', async () => {
    const runner = new RecordedRunner([
      ['kind create cluster', { stderr: createSuccess }],
      [
        'kubectl',
        { exitCode: 1, stderr: 'error: timed out waiting for the condition on nodes/lab-0a1b2c3d-control-plane' },
      ],
    ]);
    const { req } = await request(runner);
    await expect(new KindBackend({ runner }).provision(req)).rejects.toThrow(
      'did not become ready: error: timed out waiting for the condition',
    );
    expect(runner.calls.at(-1)!.args.slice(0, 4)).toEqual(['delete', 'cluster', '--name', 'lab-0a1b2c3d']);
  });

  it('reaps lab- clusters no session owns', async () => {
    const runner = new RecordedRunner([
      ['kind get clusters', { stdout: 'kind\nlab-0a1b2c3d\nlab-deadbeef\nlab-feedf00d\n' }],
    ]);
    const backend = new KindBackend({ runner, knownClusters: async () => new Set(['lab-0a1b2c3d']) });
    expect(await backend.reapOrphans()).toEqual(['lab-deadbeef', 'lab-feedf00d']);
    expect(runner.calls.filter((c) => c.args[0] === 'delete').map((c) => c.args[3])).toEqual([
      'lab-deadbeef',
      'lab-feedf00d',
    ]);
  });

  it('explains a missing Docker or kind in preflight', async () => {
    const noKind = new KindBackend({
      runner: new RecordedRunner([['kind version', { exitCode: 127, notFound: true }]]),
    });
    expect(await noKind.preflight()).toEqual({ ok: false, reason: expect.stringContaining('kind is not installed') });
    const down = new KindBackend({
      runner: new RecordedRunner([
        [
          'docker info',
          {
            exitCode: 1,
            stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
          },
        ],
      ]),
    });
    expect(await down.preflight()).toEqual({ ok: false, reason: expect.stringContaining('Docker is not running') });
  });

  it('parses kind progress lines', () => {
    expect(parseKindProgress(' • Starting control-plane 🕹️  ...')).toMatchObject({
      step: 'Starting control-plane',
      done: false,
    });
    expect(parseKindProgress(' ✓ Installing CNI 🔌')).toMatchObject({ step: 'Installing CNI', done: true });
    expect(parseKindProgress('Set kubectl context to "kind-x"')).toBeUndefined();
  });
});

function works(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

const kindReady = works('docker', ['info']) && works('kind', ['version']);
if (!kindReady)
  console.log(
    'kind end-to-end test skipped: it needs `docker info` and `kind version` to succeed, and this machine has no Docker engine or no kind.',
  );

describe.skipIf(!kindReady)('kind backend end to end (real Docker and kind)', () => {
  it('creates a ready cluster and deletes it', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'kind-e2e-'));
    dirs.push(workspace);
    const backend = new KindBackend({ runner: execaRunner });
    const sessionId = 'e2e0e2e0aaaa';
    const lab: LabSummary = {
      id: 'e2e',
      dir: workspace,
      backends: ['kind'],
      personas: [],
      addons: [],
      tools: [],
      setup: [],
    };
    try {
      const result = await backend.provision({ sessionId, workspace, lab, onStage: () => {} });
      expect(result.kubeconfig).toContain('server: https://127.0.0.1:');
      expect(await backend.health(sessionId)).toBe(true);
    } finally {
      await backend.destroy(sessionId, workspace);
    }
    expect(await backend.health(sessionId)).toBe(false);
  }, 600_000);
});
