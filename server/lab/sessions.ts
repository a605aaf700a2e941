import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterBackend } from './backends/types.ts';
import type { CatalogLab, LabSummary } from '../labs/catalog.ts';
import { ApiError, type BackendCapabilities, type SessionInfo, type StageEvent } from '../../src/contracts/protocol.ts';
import type { LabStore, SessionRow } from './store.ts';
import { Exercises } from './exercises.ts';
import { SessionTerminals } from './session-terminals.ts';
import type { Terminal } from './terminals.ts';
import { prepareWorkspace, resetWorkspace } from './workspace.ts';
import { applySetup } from './setup.ts';

export interface SessionLimits {
  maxSessions: number;
  maxPerLearner: number;
  idleTtlMs: number;
  absoluteTtlMs: number;
}

export const defaultLimits: SessionLimits = {
  maxSessions: 50,
  maxPerLearner: 3,
  idleTtlMs: 2 * 3600_000,
  absoluteTtlMs: 8 * 3600_000,
};

interface LiveSession {
  row: SessionRow;
  stages: StageEvent[];
  capabilities: BackendCapabilities;
  events: EventEmitter;
  ready: Promise<void>;
}

/**
 * Lab sessions: one workspace folder and one cluster each, stage events while provisioning,
 * TTLs and capacity limits, persisted in SQLite. Their shells are `terminals`; checks, hints,
 * solutions and progress are `exercises`.
 */
export class SessionManager {
  private readonly live = new Map<string, LiveSession>();
  private readonly store: LabStore;
  private readonly labs: Map<string, CatalogLab>;
  private readonly backends: Map<string, ClusterBackend>;
  private readonly dataDir: string;
  readonly limits: SessionLimits;
  private readonly preferredBackend: string;
  private reaper?: NodeJS.Timeout;
  readonly metrics = new EventEmitter();
  readonly terminals: SessionTerminals;
  readonly exercises: Exercises;

  constructor(options: {
    store: LabStore;
    labs: Map<string, CatalogLab>;
    backends: ClusterBackend[];
    dataDir: string;
    limits?: Partial<SessionLimits>;
    backend?: string;
    bwrap?: string;
  }) {
    this.terminals = new SessionTerminals({ bwrap: options.bwrap, onStart: () => this.metrics.emit('terminals') });
    this.store = options.store;
    this.labs = options.labs;
    this.backends = new Map(options.backends.map((b) => [b.name, b]));
    this.dataDir = options.dataDir;
    this.limits = { ...defaultLimits, ...options.limits };
    this.preferredBackend = options.backend ?? 'auto';
    this.exercises = new Exercises(
      { row: (id, learner) => this.require(id, learner).row, lab: (id) => this.lab(id), touch: (id) => this.touch(id) },
      this.store,
      this.metrics,
    );
  }

  labList(): CatalogLab[] {
    return [...this.labs.values()];
  }

  lab(labId: string): CatalogLab {
    const lab = this.labs.get(labId);
    if (!lab)
      throw new ApiError(
        404,
        'unknown_lab',
        `There is no lab "${labId}". Known labs: ${[...this.labs.keys()].join(', ') || 'none'}.`,
      );
    return lab;
  }

  private chooseBackend(lab: LabSummary): ClusterBackend {
    const wanted = this.preferredBackend === 'auto' ? lab.backends : [this.preferredBackend];
    for (const name of wanted) {
      const backend = this.backends.get(name);
      if (backend && lab.backends.includes(name)) return backend;
    }
    throw new ApiError(
      409,
      'backend_unavailable',
      `Lab "${lab.id}" needs one of [${lab.backends.join(', ')}], but this server runs [${[...this.backends.keys()].join(', ')}].`,
    );
  }

  /** Starts provisioning and returns at once; `ready` resolves when the cluster and workspace exist. */
  async create(learner: string, labId: string): Promise<SessionInfo> {
    const lab = this.lab(labId);
    const active = this.store.active();
    if (active.length >= this.limits.maxSessions)
      throw new ApiError(503, 'capacity', 'The lab server is full; try again in a few minutes.');
    if (active.filter((s) => s.learner === learner).length >= this.limits.maxPerLearner) {
      throw new ApiError(
        429,
        'too_many_sessions',
        `You already have ${this.limits.maxPerLearner} labs open; end one first.`,
      );
    }
    const backend = this.chooseBackend(lab);
    const id = randomUUID().replace(/-/g, '');
    const now = Date.now();
    const row: SessionRow = {
      id,
      learner,
      labId,
      backend: backend.name,
      state: 'creating',
      token: randomBytes(24).toString('base64url'),
      workspace: join(this.dataDir, 'sessions', id),
      createdAt: now,
      lastActive: now,
      error: null,
    };
    this.store.insert(row);
    const live = this.track(row);
    live.ready = this.provision(live, lab, backend, false);
    live.ready.catch(() => undefined);
    return this.info(live);
  }

  private track(row: SessionRow): LiveSession {
    const live: LiveSession = {
      row,
      stages: [],
      capabilities: { containers: false, limitations: [] },
      events: new EventEmitter(),
      ready: Promise.resolve(),
    };
    live.events.setMaxListeners(50);
    this.live.set(row.id, live);
    return live;
  }

  private stage(live: LiveSession, event: Omit<StageEvent, 'at'>): void {
    const full = { ...event, at: new Date().toISOString() };
    live.stages.push(full);
    if (live.stages.length > 200) live.stages.shift();
    live.events.emit('stage', full);
  }

  private async provision(
    live: LiveSession,
    lab: LabSummary,
    backend: ClusterBackend,
    resuming: boolean,
  ): Promise<void> {
    const started = performance.now();
    try {
      this.stage(live, {
        stage: 'creating-workspace',
        message: resuming ? 'Resuming your workspace' : 'Preparing your workspace',
      });
      await mkdir(live.row.workspace, { recursive: true });
      const result = await backend.provision({
        sessionId: live.row.id,
        workspace: live.row.workspace,
        lab,
        onStage: (s) => this.stage(live, s),
      });
      live.capabilities = result.capabilities;
      await prepareWorkspace(live.row.workspace, lab, result.kubeconfig);
      if (lab.setup.length && !resuming) {
        this.stage(live, { stage: 'installing-add-ons', message: 'Preparing the lab resources' });
        await applySetup(result.kubeconfig, lab);
      }
      live.row.state = 'ready';
      this.store.setState(live.row.id, 'ready');
      this.stage(live, { stage: 'ready', message: 'Ready', progress: 1 });
      this.metrics.emit('provisioned', backend.name, (performance.now() - started) / 1000);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      live.row.state = 'failed';
      live.row.error = message;
      this.store.setState(live.row.id, 'failed', message);
      this.stage(live, { stage: 'failed', message });
      throw error;
    }
  }

  /** Brings back sessions that were open when the server stopped (same cluster state and workspace). */
  async restore(): Promise<number> {
    let restored = 0;
    for (const row of this.store.active()) {
      const lab = this.labs.get(row.labId);
      const backend = this.backends.get(row.backend);
      // Until its cluster is back, a resumed session is "creating" again.
      row.state = 'creating';
      const live = this.track(row);
      if (!lab || !backend) {
        this.store.setState(row.id, 'failed', 'lab or backend no longer available');
        live.row.state = 'failed';
        continue;
      }
      live.ready = this.provision(live, lab, backend, true);
      live.ready.catch(() => undefined);
      restored++;
    }
    return restored;
  }

  private require(id: string, learner?: string): LiveSession {
    const live = this.live.get(id);
    if (!live || live.row.state === 'ended' || (learner !== undefined && live.row.learner !== learner)) {
      throw new ApiError(404, 'unknown_session', `There is no open session "${id}".`);
    }
    return live;
  }

  info(live: LiveSession): SessionInfo {
    const info: SessionInfo = {
      id: live.row.id,
      labId: live.row.labId,
      backend: live.row.backend,
      state: live.row.state,
      token: live.row.token,
      createdAt: new Date(live.row.createdAt).toISOString(),
      capabilities: live.capabilities,
      stages: [...live.stages],
    };
    if (live.row.error) info.error = live.row.error;
    return info;
  }

  get(id: string, learner?: string): SessionInfo {
    return this.info(this.require(id, learner));
  }

  async whenReady(id: string): Promise<SessionInfo> {
    const live = this.require(id);
    await live.ready;
    return this.info(live);
  }

  onStage(id: string, learner: string, listener: (event: StageEvent) => void): () => void {
    const live = this.require(id, learner);
    live.events.on('stage', listener);
    return () => live.events.off('stage', listener);
  }

  workspace(id: string): string {
    return this.require(id).row.workspace;
  }

  /** Constant-time check of a terminal token for a session. */
  checkToken(id: string, token: string): boolean {
    const live = this.live.get(id);
    if (!live || live.row.state !== 'ready') return false;
    const a = Buffer.from(live.row.token);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** The named terminal of a ready session, started on first use. */
  terminal(id: string, name: string): Terminal {
    const live = this.require(id);
    if (live.row.state !== 'ready') throw new ApiError(409, 'not_ready', 'The session is not ready yet.');
    const terminal = this.terminals.open(id, live.row.workspace, name);
    this.touch(id);
    return terminal;
  }

  touch(id: string): void {
    const live = this.live.get(id);
    if (!live) return;
    live.row.lastActive = Date.now();
    this.store.touch(id, live.row.lastActive);
  }

  /** Fresh cluster and workspace for the same lab. */
  async reset(id: string, learner: string): Promise<SessionInfo> {
    const live = this.require(id, learner);
    await live.ready.catch(() => undefined);
    this.terminals.closeAll(live.row.id);
    const backend = this.backends.get(live.row.backend)!;
    await backend.destroy(id, live.row.workspace);
    await resetWorkspace(live.row.workspace);
    live.row.state = 'creating';
    live.row.error = null;
    this.store.setState(id, 'creating');
    live.stages = [];
    live.ready = this.provision(live, this.lab(live.row.labId), backend, false);
    live.ready.catch(() => undefined);
    return this.info(live);
  }

  async end(id: string, learner?: string): Promise<void> {
    const live = this.require(id, learner);
    await live.ready.catch(() => undefined);
    this.terminals.closeAll(live.row.id);
    await this.backends.get(live.row.backend)?.destroy(id, live.row.workspace);
    await rm(live.row.workspace, { recursive: true, force: true });
    live.row.state = 'ended';
    this.store.setState(id, 'ended');
    live.events.removeAllListeners();
    this.live.delete(id);
  }

  /** Ends sessions idle or open for too long. */
  async reap(now = Date.now()): Promise<string[]> {
    const ended: string[] = [];
    for (const live of [...this.live.values()]) {
      const idle = now - live.row.lastActive > this.limits.idleTtlMs;
      const old = now - live.row.createdAt > this.limits.absoluteTtlMs;
      if (idle || old) {
        await this.end(live.row.id).catch(() => undefined);
        ended.push(live.row.id);
      }
    }
    return ended;
  }

  startReaper(intervalMs = 60_000): void {
    this.reaper = setInterval(() => void this.reap(), intervalMs);
    this.reaper.unref();
  }

  counts(): Record<string, number> {
    const counts: Record<string, number> = { creating: 0, ready: 0, failed: 0 };
    for (const live of this.live.values()) counts[live.row.state] = (counts[live.row.state] ?? 0) + 1;
    return counts;
  }

  /** Server shutdown: shells stop, clusters are suspended (state kept for resume). */
  async shutdown(): Promise<void> {
    if (this.reaper) clearInterval(this.reaper);
    for (const live of this.live.values()) {
      this.terminals.closeAll(live.row.id);
      await live.ready.catch(() => undefined);
      await this.backends.get(live.row.backend)?.suspend?.(live.row.id);
    }
    this.live.clear();
  }
}
