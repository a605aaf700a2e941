import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CommandResult, CommandRunner, RunOptions } from '../command-runner.ts';
import type { ClusterBackend, ProvisionRequest, ProvisionResult } from '../types.ts';
import type { LabSummary } from '../../../labs/catalog.ts';
import type { BackendCapabilities } from '../../../../src/contracts/protocol.ts';
import { defaultKyvernoManifest, installKyverno, type KyvernoManifest } from './addons/kyverno.ts';
import { addPersonas } from './personas.ts';
import { pinnedKind } from './pinned.ts';
import { preloadImages } from './image-cache.ts';
import { parseKindProgress } from './progress.ts';
import { kindPreflight, type Preflight } from './preflight.ts';
import { Slots } from './slots.ts';

export { parseKindProgress } from './progress.ts';

export const kindCapabilities = { containers: true, limitations: [] as BackendCapabilities['limitations'] };

export class KindError extends Error {}

const GiB = 1024 ** 3;

export interface KindOptions {
  runner: CommandRunner;
  /**
   * This install's id (6 hex, kept in the data folder): every cluster it makes is named
   * `lab-<installId>-…`, and its reaper touches no other name, so two installs on one host
   * never delete each other's clusters.
   */
  installId: string;
  /** Node image; default the pinned kindest/node:v1.34.x@sha256. */
  image?: string;
  createTimeoutMs?: number;
  readyTimeoutMs?: number;
  /** kind creates running at once (the heaviest step on the host). */
  maxConcurrentCreates?: number;
  /** Host memory the kind clusters may take together; default 75 % of RAM. */
  memoryBudgetBytes?: number;
  /** Memory reserved per cluster (a single node is roughly 1–1.5 GiB before add-ons). */
  clusterMemoryBytes?: number;
  /** Extra per cluster with Kyverno (its admission controller alone is limited to 384Mi). */
  kyvernoMemoryBytes?: number;
  /** The sessions the server knows (id and workspace); the reaper deletes this install's other clusters. */
  knownSessions?: () => Array<{ id: string; workspace: string }>;
  kyverno?: KyvernoManifest;
  /** Pre-created clusters per lab id, so a session of a popular lab is ready in seconds. */
  warmPool?: Record<string, number>;
  /** Where warm clusters keep their kubeconfig. */
  poolDir?: string;
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
  /** docker-save archives (`labs kind images save`) loaded into each new cluster before its add-ons. */
  imageCache?: string;
  /** Reads /proc/sys values for the inotify check (tests record them). */
  readSysctl?: (path: string) => Promise<string>;
}

const clusterFile = 'kind-cluster';
const kubeconfigFile = 'kind-kubeconfig';

/** Real clusters through the kind CLI (needs Docker). Single-tenant: see the README. */
export class KindBackend implements ClusterBackend {
  readonly name = 'kind';
  private readonly options: KindOptions;
  private readonly slots: Slots;
  /** Clusters this process holds memory for: name → bytes. */
  private readonly reserved = new Map<string, number>();
  private readonly pool = new Map<string, string[]>();
  private reaper?: NodeJS.Timeout;

  constructor(options: KindOptions) {
    if (!/^[a-f0-9]{6}$/.test(options.installId)) throw new KindError(`invalid install id "${options.installId}"`);
    this.options = options;
    this.slots = new Slots(options.maxConcurrentCreates ?? 2);
  }

  get prefix(): string {
    return `lab-${this.options.installId}-`;
  }

  private get image(): string {
    return this.options.image ?? pinnedKind.nodeImage;
  }

  private sleep(ms: number): Promise<void> {
    return this.options.sleep ? this.options.sleep(ms) : new Promise((r) => setTimeout(r, ms));
  }

  /** The environment kind runs with: no inherited KUBECONFIG or KIND_CLUSTER_NAME. */
  private env(): Record<string, string | undefined> {
    const env: Record<string, string | undefined> = { ...process.env, KIND_EXPERIMENTAL_PROVIDER: 'docker' };
    delete env.KUBECONFIG;
    delete env.KIND_CLUSTER_NAME;
    return env;
  }

  private run(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
    return this.options.runner.run(command, args, { env: this.env(), timeoutMs: 120_000, ...options });
  }

  private kubectl(kubeconfigPath: string) {
    return (args: string[], options: RunOptions = {}) =>
      this.run('kubectl', ['--kubeconfig', kubeconfigPath, ...args], options);
  }

  /** The cluster name a session's workspace records, or the one derived from its id. */
  async clusterName(sessionId: string, workspace: string): Promise<string> {
    try {
      const recorded = (await readFile(join(workspace, clusterFile), 'utf8')).trim();
      if (recorded.startsWith(this.prefix)) return recorded;
    } catch {
      /* not created yet */
    }
    const hex = /^[a-f0-9]{8}/.exec(sessionId)?.[0] ?? randomBytes(4).toString('hex');
    return `${this.prefix}${hex}`;
  }

  preflight(): Promise<Preflight> {
    return kindPreflight(this.options.runner, this.env(), this.options.readSysctl);
  }

  /** The v1alpha4 config for a lab cluster: one node, API server on loopback only. */
  static config(name: string): string {
    return stringify({
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      name,
      nodes: [{ role: 'control-plane' }],
      networking: { apiServerAddress: '127.0.0.1' },
    });
  }

  private memoryFor(lab: LabSummary): number {
    const kyverno = lab.addons.includes('kyverno') ? (this.options.kyvernoMemoryBytes ?? 0.5 * GiB) : 0;
    return (this.options.clusterMemoryBytes ?? 1.5 * GiB) + kyverno;
  }

  /** Reserves memory for one more cluster, or says why the host is full. */
  private admit(name: string, lab: LabSummary): void {
    const budget = this.options.memoryBudgetBytes ?? Math.floor(totalmem() * 0.75);
    const want = this.memoryFor(lab);
    const used = [...this.reserved.values()].reduce((a, b) => a + b, 0);
    if (used + want > budget) {
      const gib = (n: number) => `${(n / GiB).toFixed(1)} GiB`;
      throw new KindError(
        `The kind host is at its memory budget (${this.reserved.size} cluster(s) use ${gib(used)} of ${gib(budget)}; this lab needs ${gib(want)}). Try again when a kind lab ends.`,
      );
    }
    this.reserved.set(name, want);
  }

  async listClusters(): Promise<string[]> {
    const list = await this.run('kind', ['get', 'clusters'], { timeoutMs: 30_000 });
    if (list.exitCode !== 0) throw new KindError(`kind get clusters failed: ${list.stderr.trim()}`);
    return list.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    const { workspace, lab } = request;
    await mkdir(workspace, { recursive: true });
    const kubeconfigPath = join(workspace, kubeconfigFile);
    let name = await this.clusterName(request.sessionId, workspace);
    const exists = (await this.listClusters()).includes(name);
    // Only a resuming session adopts: a new session never takes over a cluster it did not make.
    if (exists && !request.resuming)
      throw new KindError(`a kind cluster named ${name} already exists and is not this session's; try again`);
    let kubeconfig: string;
    if (exists) {
      // A cluster that outlived the server (or this session's earlier provision): adopt it.
      request.onStage({ stage: 'creating-cluster', message: `Reconnecting to kind cluster ${name}`, progress: 0.5 });
      if (!this.reserved.has(name)) this.reserved.set(name, this.memoryFor(lab));
      await this.adopt(name, kubeconfigPath, request);
      await this.waitReady(name, kubeconfigPath, request.signal);
      kubeconfig = await this.finish(name, kubeconfigPath, request);
    } else {
      const warm = request.resuming ? undefined : this.takeWarm(lab.id);
      if (warm) {
        name = warm.name;
        await writeFile(join(workspace, clusterFile), name + '\n');
        await writeFile(kubeconfigPath, warm.kubeconfig, { mode: 0o600 });
        request.onStage({ stage: 'creating-cluster', message: `Using the ready kind cluster ${name}`, progress: 0.9 });
        void this.fillPool(lab);
        kubeconfig = await this.finish(name, kubeconfigPath, request, true);
      } else {
        await writeFile(join(workspace, clusterFile), name + '\n');
        await this.create(name, kubeconfigPath, lab, request);
        try {
          kubeconfig = await this.finish(name, kubeconfigPath, request);
        } catch (error) {
          // This call created the cluster, so a failure after that is this call's to clean up.
          await this.deleteCluster(name, kubeconfigPath).catch(() => undefined);
          throw error;
        }
      }
    }
    return {
      kubeconfig,
      namespaceHints: ['default'],
      capabilities: kindCapabilities,
      fresh: !exists && Boolean(request.resuming),
    };
  }

  /** Add-ons (re-checked on adoption: the install is idempotent) and personas, then the kubeconfig. */
  private async finish(
    name: string,
    kubeconfigPath: string,
    request: ProvisionRequest,
    addonsReady = false,
  ): Promise<string> {
    const kubectl = this.kubectl(kubeconfigPath);
    if (request.lab.addons.includes('kyverno') && !addonsReady)
      await installKyverno(
        { kubectl, onStage: request.onStage, signal: request.signal, sleep: (ms) => this.sleep(ms) },
        this.options.kyverno ?? defaultKyvernoManifest,
      );
    const base = await readFile(kubeconfigPath, 'utf8');
    if (request.lab.personas.length) {
      request.onStage({ stage: 'installing-add-ons', message: 'Issuing the lab personas their certificates' });
      return addPersonas(base, request.lab.personas, kubectl);
    }
    return base;
  }

  /** Starts a stopped node and re-reads the kubeconfig (its host port is kept across restarts). */
  private async adopt(name: string, kubeconfigPath: string, request: ProvisionRequest): Promise<void> {
    const stopped = await this.run(
      'docker',
      [
        'ps',
        '-a',
        '--filter',
        `label=io.x-k8s.kind.cluster=${name}`,
        '--filter',
        'status=exited',
        '--format',
        '{{.Names}}',
      ],
      { timeoutMs: 30_000 },
    );
    const nodes = stopped.stdout.split('\n').filter(Boolean);
    if (nodes.length) {
      request.onStage({ stage: 'creating-cluster', message: `Starting the stopped node of ${name}`, progress: 0.6 });
      const started = await this.run('docker', ['start', ...nodes], { timeoutMs: 60_000, signal: request.signal });
      if (started.exitCode !== 0) throw new KindError(`could not start ${nodes.join(', ')}: ${started.stderr.trim()}`);
    }
    const config = await this.run('kind', ['get', 'kubeconfig', '--name', name], { timeoutMs: 30_000 });
    if (config.exitCode !== 0)
      throw new KindError(`kind get kubeconfig --name ${name} failed: ${config.stderr.trim()}`);
    await writeFile(kubeconfigPath, config.stdout, { mode: 0o600 });
  }

  /** `kind create cluster` under the create semaphore; deletes only what this call failed to create. */
  private async create(
    name: string,
    kubeconfigPath: string,
    lab: LabSummary,
    request: ProvisionRequest,
  ): Promise<void> {
    this.admit(name, lab);
    request.onStage({
      stage: 'creating-cluster',
      message: 'Waiting for a free slot to create the cluster',
      progress: 0,
    });
    let release: () => void;
    try {
      release = await this.slots.acquire(request.signal);
    } catch (error) {
      this.reserved.delete(name);
      throw new KindError(`cluster creation cancelled: ${String((error as Error).message ?? error)}`);
    }
    try {
      request.onStage({ stage: 'creating-cluster', message: `Creating kind cluster ${name}`, progress: 0 });
      const created = await this.run(
        'kind',
        [
          'create',
          'cluster',
          '--name',
          name,
          '--kubeconfig',
          kubeconfigPath,
          '--config',
          '-',
          '--image',
          this.image,
          '--wait',
          '60s',
        ],
        {
          input: KindBackend.config(name),
          timeoutMs: this.options.createTimeoutMs ?? 480_000,
          signal: request.signal,
          onStderrLine: (line) => {
            const step = parseKindProgress(line);
            if (step) request.onStage({ stage: 'creating-cluster', message: step.step, progress: step.progress * 0.9 });
          },
        },
      );
      if (created.exitCode !== 0 || created.timedOut || request.signal?.aborted) {
        const already = /node\(s\) already exist for a cluster with the name/.test(created.stderr);
        // kind removes its own failed nodes, but not when it was killed (timeout, cancel). A name
        // that already existed is someone else's cluster: never delete it.
        if (!already) await this.deleteCluster(name, kubeconfigPath).catch(() => undefined);
        this.reserved.delete(name);
        const detail = request.signal?.aborted
          ? 'cancelled'
          : created.timedOut
            ? 'timed out'
            : (created.stderr.split('\n').find((l) => l.startsWith('ERROR:')) ??
              created.stderr.trim().split('\n').pop() ??
              '');
        throw new KindError(`kind create cluster ${name} failed: ${detail}`);
      }
    } finally {
      release();
    }
    try {
      await this.waitReady(name, kubeconfigPath, request.signal);
      if (this.options.imageCache) {
        request.onStage({ stage: 'creating-cluster', message: 'Loading cached images into the node', progress: 0.97 });
        await preloadImages((c, a, o) => this.run(c, a, o), this.options.imageCache, name, request.signal);
      }
    } catch (error) {
      await this.deleteCluster(name, kubeconfigPath).catch(() => undefined);
      throw error;
    }
  }

  /** --wait is advisory (kind exits 0 on timeout): wait for the node and CoreDNS ourselves. */
  private async waitReady(name: string, kubeconfigPath: string, signal?: AbortSignal): Promise<void> {
    const waits: string[][] = [
      ['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=120s'],
      ['wait', '-n', 'kube-system', '--for=condition=Available', 'deployment/coredns', '--timeout=120s'],
    ];
    for (const wait of waits) {
      const ready = await this.kubectl(kubeconfigPath)(wait, {
        timeoutMs: this.options.readyTimeoutMs ?? 150_000,
        signal,
      });
      if (ready.exitCode !== 0)
        throw new KindError(`cluster ${name} did not become ready: ${(ready.stderr || ready.stdout).trim()}`);
    }
  }

  /** `kind delete cluster` (idempotent, like rm -f); a failure is reported, never swallowed here. */
  private async deleteCluster(name: string, kubeconfigPath: string): Promise<void> {
    if (!name.startsWith(this.prefix)) throw new KindError(`refusing to delete ${name}: not made by this install`);
    const result = await this.run('kind', ['delete', 'cluster', '--name', name, '--kubeconfig', kubeconfigPath], {
      timeoutMs: 120_000,
    });
    this.reserved.delete(name);
    if (result.exitCode !== 0)
      throw new KindError(`kind delete cluster --name ${name} failed: ${(result.stderr || result.stdout).trim()}`);
  }

  async destroy(sessionId: string, workspace: string): Promise<void> {
    await this.deleteCluster(await this.clusterName(sessionId, workspace), join(workspace, kubeconfigFile));
  }

  async health(sessionId: string, workspace?: string): Promise<boolean> {
    const name = workspace ? await this.clusterName(sessionId, workspace) : `${this.prefix}${sessionId.slice(0, 8)}`;
    return (await this.listClusters().catch((): string[] => [])).includes(name);
  }

  /** Clusters stay up across a server restart; the next start adopts them. */
  async suspend(): Promise<void> {}

  /**
   * Deletes this install's clusters that no session owns (left by a crash). Other installs'
   * `lab-*` clusters are never touched. Returns what was deleted and what failed to delete.
   */
  async reapOrphans(): Promise<{ deleted: string[]; failed: Array<{ name: string; error: string }> }> {
    // Clusters being created or held (warm ones included) are never orphans.
    const known = new Set<string>([...this.poolNames(), ...this.reserved.keys()]);
    for (const s of this.options.knownSessions?.() ?? []) known.add(await this.clusterName(s.id, s.workspace));
    const orphans = (await this.listClusters()).filter((n) => n.startsWith(this.prefix) && !known.has(n));
    const deleted: string[] = [];
    const failed: Array<{ name: string; error: string }> = [];
    for (const name of orphans) {
      try {
        await this.deleteCluster(name, join(this.options.poolDir ?? '/tmp', `${name}.kubeconfig`));
        deleted.push(name);
      } catch (error) {
        failed.push({ name, error: (error as Error).message });
        this.options.log?.(`kind reaper: ${(error as Error).message}`);
      }
    }
    return { deleted, failed };
  }

  startReaper(intervalMs = 10 * 60_000): void {
    this.reaper = setInterval(() => void this.reapOrphans().catch(() => undefined), intervalMs);
    this.reaper.unref();
  }

  stopReaper(): void {
    if (this.reaper) clearInterval(this.reaper);
  }

  private poolNames(): string[] {
    return [...this.pool.values()].flat();
  }

  private takeWarm(labId: string): { name: string; kubeconfig: string } | undefined {
    const names = this.pool.get(labId);
    const name = names?.shift();
    if (!name) return undefined;
    return { name, kubeconfig: this.warmConfigs.get(name)! };
  }

  private readonly warmConfigs = new Map<string, string>();
  private readonly filling = new Set<string>();

  /** Tops a lab's warm pool up to its configured size (clusters with the lab's add-ons ready). */
  async fillPool(lab: LabSummary): Promise<void> {
    const want = this.options.warmPool?.[lab.id] ?? 0;
    if (this.filling.has(lab.id)) return;
    this.filling.add(lab.id);
    try {
      while ((this.pool.get(lab.id)?.length ?? 0) < want) {
        const name = `${this.prefix}w${randomBytes(4).toString('hex').slice(0, 7)}`;
        const dir = join(this.options.poolDir ?? '/tmp', name);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const kubeconfigPath = join(dir, kubeconfigFile);
        const request: ProvisionRequest = {
          sessionId: name,
          workspace: dir,
          lab: { ...lab, personas: [] },
          onStage: () => {},
        };
        try {
          await this.create(name, kubeconfigPath, lab, request);
          await this.finish(name, kubeconfigPath, request);
        } catch (error) {
          await this.deleteCluster(name, kubeconfigPath).catch(() => undefined);
          this.options.log?.(`warm pool for ${lab.id}: ${(error as Error).message}`);
          return;
        }
        this.warmConfigs.set(name, await readFile(kubeconfigPath, 'utf8'));
        this.pool.set(lab.id, [...(this.pool.get(lab.id) ?? []), name]);
      }
    } finally {
      this.filling.delete(lab.id);
    }
  }
}
