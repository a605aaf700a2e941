import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CommandRunner } from './command-runner.ts';
import type { ClusterBackend, ProvisionRequest, ProvisionResult } from './types.ts';

export const kindCapabilities = { containers: true, limitations: [] as string[] };

/** kind's own name rule is looser; docker rejects a leading "." or "-". */
const clusterNameRe = /^lab-[a-f0-9]{8}$/;

export class KindError extends Error {}

/** kind's plain (non-TTY) progress lines: " • Ensuring node image ..." / " ✓ Ensuring node image". */
const steps = [
  'Ensuring node image',
  'Preparing nodes',
  'Writing configuration',
  'Starting control-plane',
  'Installing CNI',
  'Installing StorageClass',
  'Joining worker nodes',
  'Waiting ≤',
];

export function parseKindProgress(line: string): { step: string; done: boolean; progress: number } | undefined {
  const m = /^\s*([•✓✗])\s+(.+?)\s*(?:\.\.\.|🖼|📦|📜|🕹️|🔌|💾|🚜|⏳|✅|⚠️)*\s*$/u.exec(line);
  if (!m) return undefined;
  const text = m[2]!
    .replace(/\s*[^\p{L}\p{N}\s.()≤-]+$/u, '')
    .replace(/\s*\.\.\.$/, '')
    .trim();
  const index = steps.findIndex((s) => text.startsWith(s));
  if (index < 0) return undefined;
  return { step: text, done: m[1] === '✓', progress: (index + (m[1] === '✓' ? 1 : 0.5)) / steps.length };
}

export interface KindOptions {
  runner: CommandRunner;
  /** Node image, e.g. kindest/node:v1.32.5 (kind's default when unset). */
  image?: string;
  createTimeoutMs?: number;
  readyTimeoutMs?: number;
  /** Names of clusters the server knows; the reaper deletes other lab- clusters. */
  knownClusters?: () => Promise<Set<string>>;
}

/** Real clusters through the kind CLI (needs Docker). */
export class KindBackend implements ClusterBackend {
  readonly name = 'kind';
  private readonly options: KindOptions;

  constructor(options: KindOptions) {
    this.options = options;
  }

  /** The environment kind runs with: no inherited KUBECONFIG or KIND_CLUSTER_NAME. */
  private env(): Record<string, string | undefined> {
    const env: Record<string, string | undefined> = { ...process.env, KIND_EXPERIMENTAL_PROVIDER: 'docker' };
    delete env.KUBECONFIG;
    delete env.KIND_CLUSTER_NAME;
    return env;
  }

  static clusterName(sessionId: string): string {
    const hex = /^[a-f0-9]{8}/.exec(sessionId)?.[0] ?? randomBytes(4).toString('hex');
    return `lab-${hex}`;
  }

  async preflight(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const kind = await this.options.runner.run('kind', ['version'], { env: this.env(), timeoutMs: 10_000 });
    if (kind.notFound)
      return {
        ok: false,
        reason:
          'kind is not installed. Install it from https://kind.sigs.k8s.io/docs/user/quick-start/#installation (e.g. `go install sigs.k8s.io/kind@latest`).',
      };
    const docker = await this.options.runner.run('docker', ['info', '--format', '{{json .ServerVersion}}'], {
      env: this.env(),
      timeoutMs: 15_000,
    });
    if (docker.notFound)
      return { ok: false, reason: 'Docker is not installed; the kind backend needs a running Docker engine.' };
    if (docker.exitCode !== 0) {
      return {
        ok: false,
        reason: `Docker is not running (docker info failed: ${(docker.stderr || docker.stdout).trim().split('\n').pop()}). Start the Docker daemon, or use the embedded backend.`,
      };
    }
    try {
      const watches = Number((await readFile('/proc/sys/fs/inotify/max_user_watches', 'utf8')).trim());
      const instances = Number((await readFile('/proc/sys/fs/inotify/max_user_instances', 'utf8')).trim());
      if (watches < 524288 || instances < 512) {
        return {
          ok: false,
          reason: `inotify limits too low for several kind clusters (max_user_watches=${watches}, max_user_instances=${instances}); run: sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512`,
        };
      }
    } catch {
      /* not Linux: nothing to check */
    }
    return { ok: true };
  }

  /** The v1alpha4 config for a lab cluster. */
  static config(name: string): string {
    return stringify({
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      name,
      nodes: [{ role: 'control-plane' }],
      networking: { apiServerAddress: '127.0.0.1' },
    });
  }

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    const name = KindBackend.clusterName(request.sessionId);
    if (!clusterNameRe.test(name)) throw new KindError(`invalid cluster name ${name}`);
    await mkdir(request.workspace, { recursive: true });
    const kubeconfigPath = join(request.workspace, 'kind-kubeconfig');
    request.onStage({ stage: 'creating-cluster', message: `Creating kind cluster ${name}`, progress: 0 });
    const args = [
      'create',
      'cluster',
      '--name',
      name,
      '--kubeconfig',
      kubeconfigPath,
      '--config',
      '-',
      '--wait',
      '60s',
    ];
    if (this.options.image) args.push('--image', this.options.image);
    const created = await this.options.runner.run('kind', args, {
      input: KindBackend.config(name),
      env: this.env(),
      timeoutMs: this.options.createTimeoutMs ?? 300_000,
      signal: request.signal,
      onStderrLine: (line) => {
        const step = parseKindProgress(line);
        if (step) request.onStage({ stage: 'creating-cluster', message: step.step, progress: step.progress });
      },
    });
    if (created.exitCode !== 0 || created.timedOut) {
      // kind cleans up after its own failures, but not when it was killed: delete by name either way.
      await this.deleteCluster(name, kubeconfigPath);
      const detail = created.timedOut
        ? 'timed out'
        : (created.stderr.split('\n').find((l) => l.startsWith('ERROR:')) ??
          created.stderr.trim().split('\n').pop() ??
          '');
      throw new KindError(`kind create cluster ${name} failed: ${detail}`);
    }
    // --wait is advisory (kind exits 0 on timeout): wait for nodes and CoreDNS ourselves.
    request.onStage({
      stage: 'creating-cluster',
      message: 'Waiting for the node and CoreDNS to be ready',
      progress: 0.95,
    });
    const waits: string[][] = [
      ['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=120s'],
      ['wait', '-n', 'kube-system', '--for=condition=Available', 'deployment/coredns', '--timeout=120s'],
    ];
    for (const wait of waits) {
      const ready = await this.options.runner.run('kubectl', ['--kubeconfig', kubeconfigPath, ...wait], {
        env: this.env(),
        timeoutMs: this.options.readyTimeoutMs ?? 150_000,
        signal: request.signal,
      });
      if (ready.exitCode !== 0) {
        await this.deleteCluster(name, kubeconfigPath);
        throw new KindError(`cluster ${name} did not become ready: ${(ready.stderr || ready.stdout).trim()}`);
      }
    }
    return {
      kubeconfig: await readFile(kubeconfigPath, 'utf8'),
      namespaceHints: ['default'],
      capabilities: kindCapabilities,
    };
  }

  private async deleteCluster(name: string, kubeconfigPath: string): Promise<void> {
    await this.options.runner.run('kind', ['delete', 'cluster', '--name', name, '--kubeconfig', kubeconfigPath], {
      env: this.env(),
      timeoutMs: 120_000,
    });
  }

  async destroy(sessionId: string, workspace: string): Promise<void> {
    await this.deleteCluster(KindBackend.clusterName(sessionId), join(workspace, 'kind-kubeconfig'));
  }

  async health(sessionId: string): Promise<boolean> {
    const list = await this.options.runner.run('kind', ['get', 'clusters'], { env: this.env(), timeoutMs: 30_000 });
    return list.exitCode === 0 && list.stdout.split('\n').includes(KindBackend.clusterName(sessionId));
  }

  /** Deletes lab- clusters no session owns (left behind by a crash). Returns their names. */
  async reapOrphans(): Promise<string[]> {
    const list = await this.options.runner.run('kind', ['get', 'clusters'], { env: this.env(), timeoutMs: 30_000 });
    if (list.exitCode !== 0) return [];
    const known = (await this.options.knownClusters?.()) ?? new Set<string>();
    const orphans = list.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((n) => n.startsWith('lab-') && !known.has(n));
    for (const name of orphans) {
      await this.options.runner.run(
        'kind',
        ['delete', 'cluster', '--name', name, '--kubeconfig', join('/tmp', `${name}.kubeconfig`)],
        { env: this.env(), timeoutMs: 120_000 },
      );
    }
    return orphans;
  }
}
