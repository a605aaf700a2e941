import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterBackend } from './backends/types.ts';
import { Sandbox, type SandboxSession } from './isolation/sandbox.ts';
import { UidClaims } from './isolation/uid-claims.ts';
import { limitNotices, type NoticeState } from './isolation/notices.ts';
import { learnerAccess, type LearnerAccess } from './learner-access.ts';
import type { CatalogLab, LabSummary } from '../labs/catalog.ts';
import {
  ApiError,
  terminalClose,
  type BackendCapabilities,
  type BackendReason,
  type SessionInfo,
  type StageEvent,
} from '../../src/contracts/protocol.ts';
import type { LabStore, SessionRow } from './store.ts';
import type { ProgressStore } from './store/types.ts';
import { Exercises } from './exercises.ts';
import { SessionTerminals } from './session-terminals.ts';
import type { Terminal } from './terminals.ts';
import { learnerEnv, prepareDataDir, prepareWorkspace, sandboxSession, workspacePaths } from './workspace.ts';
import { applySetup } from './setup.ts';

export interface SessionLimits {
  maxSessions: number;
  maxPerLearner: number;
  /** Open sessions started from one client address (a classroom behind NAT shares one). */
  maxPerAddress: number;
  idleTtlMs: number;
  absoluteTtlMs: number;
  /** What one learner's Extend adds to the session's lifetime. */
  extendMs: number;
  /** How often a learner may extend one session: its lifetime never passes absoluteTtlMs + maxExtensions × extendMs. */
  maxExtensions: number;
}

export const defaultLimits: SessionLimits = {
  maxSessions: 50,
  maxPerLearner: 3,
  maxPerAddress: 40,
  idleTtlMs: 2 * 3600_000,
  absoluteTtlMs: 8 * 3600_000,
  extendMs: 30 * 60_000,
  maxExtensions: 4,
};

interface LiveSession {
  row: SessionRow;
  stages: StageEvent[];
  capabilities: BackendCapabilities;
  events: EventEmitter;
  ready: Promise<void>;
  backendReason?: BackendReason;
  /** Cancels the provision under way (reset, end). */
  abort: AbortController;
  /** Reset, end and shutdown run one after another, never interleaved. */
  lifecycle: Promise<unknown>;
  address: string;
  notices: NoticeState;
  /** The uid its files belonged to before a restart gave it another one (files are handed over). */
  previousUid?: number;
  /** Time an instructor added to its lifetime (idle and absolute TTL). */
  extendedMs?: number;
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
  private readonly unavailable: Map<string, { reason: string; missing: string[] }>;
  private readonly dataDir: string;
  readonly limits: SessionLimits;
  private readonly preferredBackend: string;
  private reaper?: NodeJS.Timeout;
  private noticeTimer?: NodeJS.Timeout;
  private dataDirReady?: Promise<void>;
  readonly metrics = new EventEmitter();
  /** Runs every learner process (shells, scripts) and every access to learner files. */
  readonly sandbox: Sandbox;
  readonly terminals: SessionTerminals;
  readonly exercises: Exercises;
  /** Learner uids, claimed machine-wide (another server on this machine must never get the same one). */
  private readonly uids: UidClaims;

  constructor(options: {
    store: LabStore;
    /** Exercise progress (the classroom store: this server's SQLite file, or a shared PostgreSQL). */
    progress: ProgressStore;
    labs: Map<string, CatalogLab>;
    backends: ClusterBackend[];
    dataDir: string;
    limits?: Partial<SessionLimits>;
    backend?: string;
    /** Backends this server could not start, with why (the lab page explains what to install). */
    unavailable?: Map<string, { reason: string; missing: string[] }>;
    /** Without one, shells run as the server's user (tests; createLabServer always passes one). */
    sandbox?: Sandbox;
    uidClaims?: UidClaims;
  }) {
    this.sandbox = options.sandbox ?? Sandbox.singleUser();
    this.uids = options.uidClaims ?? new UidClaims();
    this.terminals = new SessionTerminals({ sandbox: this.sandbox, onStart: () => this.metrics.emit('terminals') });
    this.store = options.store;
    this.labs = options.labs;
    this.backends = new Map(options.backends.map((b) => [b.name, b]));
    this.unavailable = options.unavailable ?? new Map();
    this.dataDir = options.dataDir;
    this.limits = { ...defaultLimits, ...options.limits };
    this.preferredBackend = options.backend ?? 'auto';
    this.exercises = new Exercises(
      {
        row: (id, learner) => this.require(id, learner).row,
        lab: (id) => this.lab(id),
        touch: (id) => this.touch(id),
        learner: (id) => this.learner(id),
        writeFiles: (id, files) => this.writeLearnerFiles(id, files),
        runAsLearner: (id, argv, timeoutMs) => this.runAsLearner(id, argv, timeoutMs),
      },
      options.progress,
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

  /**
   * The backend a lab runs on: under `auto`, the first backend of the lab's own list that this
   * server has; an explicit `--backend` is preferred where the lab supports it.
   */
  chooseBackend(lab: LabSummary): { backend: ClusterBackend; reason: BackendReason } {
    const preferred = this.preferredBackend;
    if (preferred !== 'auto' && lab.backends.includes(preferred) && this.backends.has(preferred))
      return { backend: this.backends.get(preferred)!, reason: 'operator-choice' };
    for (const [i, name] of lab.backends.entries()) {
      const backend = this.backends.get(name);
      if (!backend) continue;
      const reason: BackendReason = lab.backends.length === 1 ? 'only-backend' : i === 0 ? 'first-choice' : 'fallback';
      return { backend, reason };
    }
    const problems = lab.backends.map((b) => this.unavailable.get(b)).filter((p) => p !== undefined);
    const why = problems.map((p) => p.reason).join(' ');
    throw new ApiError(
      409,
      'backend_unavailable',
      `Lab "${lab.id}" needs the ${lab.backends.join(' or ')} backend, which this server does not run.${why ? ` ${why}` : ''}`,
      [...new Set(problems.flatMap((p) => p.missing))],
    );
  }

  /** Starts provisioning and returns at once; `ready` resolves when the cluster and workspace exist. */
  async create(learner: string, labId: string, address = ''): Promise<SessionInfo> {
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
    const fromAddress = [...this.live.values()].filter((l) => address && l.address === address).length;
    if (fromAddress >= this.limits.maxPerAddress)
      throw new ApiError(
        429,
        'too_many_sessions',
        `${this.limits.maxPerAddress} labs are already open from your network address; end one first.`,
      );
    const { backend, reason } = this.chooseBackend(lab);
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
      uid: this.sandbox.isolated ? this.freeUid() : null,
      extensions: 0,
    };
    this.store.insert(row);
    const live = this.track(row, address);
    live.backendReason = reason;
    live.ready = this.provision(live, lab, backend, false);
    live.ready.catch(() => undefined);
    return this.info(live);
  }

  private freeUid(preferred?: number | null): number {
    return this.uids.claim(preferred);
  }

  /** After its processes are gone, a session's uid may go to another session (or server). */
  private releaseUid(live: LiveSession): void {
    if (live.row.uid !== null) this.uids.release(live.row.uid);
  }

  private sandboxOf(live: LiveSession): SandboxSession {
    return sandboxSession(workspacePaths(live.row.workspace), live.row.uid ?? process.getuid?.() ?? 0);
  }

  /** Runs a lifecycle step after the session's previous ones (five parallel resets run in turn). */
  private serialised<T>(live: LiveSession, step: () => Promise<T>): Promise<T> {
    const next = live.lifecycle.then(step, step);
    live.lifecycle = next.catch(() => undefined);
    return next;
  }

  private track(row: SessionRow, address = ''): LiveSession {
    const live: LiveSession = {
      row,
      stages: [],
      capabilities: { containers: false, limitations: [] },
      events: new EventEmitter(),
      ready: Promise.resolve(),
      abort: new AbortController(),
      lifecycle: Promise.resolve(),
      address,
      notices: {},
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
    live.abort = new AbortController();
    const signal = live.abort.signal;
    try {
      this.stage(live, {
        stage: 'creating-workspace',
        message: resuming ? 'Resuming your workspace' : 'Preparing your workspace',
      });
      this.dataDirReady ??= prepareDataDir(this.dataDir, this.sandbox.isolated);
      await this.dataDirReady;
      await mkdir(live.row.workspace, { recursive: true, mode: 0o700 });
      const sandbox = this.sandboxOf(live);
      await this.sandbox.prepare(sandbox);
      if (live.previousUid !== undefined) {
        await this.sandbox.adoptHome(sandbox);
        live.previousUid = undefined;
      }
      const result = await backend.provision({
        sessionId: live.row.id,
        workspace: live.row.workspace,
        lab,
        onStage: (s) => this.stage(live, s),
        signal,
        resuming,
      });
      signal.throwIfAborted();
      live.capabilities = result.capabilities;
      const ws = workspacePaths(live.row.workspace);
      const fresh = !resuming || result.fresh === true;
      await prepareWorkspace(ws, sandbox, this.sandbox, lab, result.kubeconfig, fresh);
      if (lab.setup.length && fresh) {
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
      if (this.sandbox.isolated) {
        // Another server on this machine may hold the uid by now: then the files change hands.
        const uid = this.freeUid(row.uid);
        if (row.uid !== null && uid !== row.uid) live.previousUid = row.uid;
        if (uid !== row.uid) this.store.setUid(row.id, uid);
        row.uid = uid;
      }
      if (!lab || !backend) {
        this.store.setState(row.id, 'failed', 'lab or backend no longer available');
        live.row.state = 'failed';
        continue;
      }
      const at = lab.backends.indexOf(backend.name);
      live.backendReason = lab.backends.length === 1 ? 'only-backend' : at === 0 ? 'first-choice' : 'fallback';
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
      ...(live.backendReason ? { backendReason: live.backendReason } : {}),
      state: live.row.state,
      token: live.row.token,
      createdAt: new Date(live.row.createdAt).toISOString(),
      capabilities: live.capabilities,
      stages: [...live.stages],
      ...this.expiry(live),
    };
    if (live.row.error) info.error = live.row.error;
    return info;
  }

  /** When the reaper ends the session if nothing changes: the idle limit or the total lifetime, whichever comes first. */
  private deadlines(live: LiveSession): { idle: number; lifetime: number } {
    const extra = live.extendedMs ?? 0;
    const lastActivity = Math.max(live.row.lastActive, this.terminals.lastInput(live.row.id));
    return {
      idle: lastActivity + this.limits.idleTtlMs + extra,
      lifetime: live.row.createdAt + this.limits.absoluteTtlMs + extra + live.row.extensions * this.limits.extendMs,
    };
  }

  private expiry(
    live: LiveSession,
  ): Pick<SessionInfo, 'expiresAt' | 'expiresBecause' | 'extensionsLeft' | 'extendMinutes'> {
    const { idle, lifetime } = this.deadlines(live);
    return {
      expiresAt: new Date(Math.min(idle, lifetime)).toISOString(),
      expiresBecause: idle < lifetime ? 'idle' : 'lifetime',
      extensionsLeft: Math.max(0, this.limits.maxExtensions - live.row.extensions),
      extendMinutes: Math.round(this.limits.extendMs / 60_000),
    };
  }

  /**
   * The learner's Extend: counts as activity and adds limits.extendMs to the session's lifetime,
   * at most limits.maxExtensions times, so one learner cannot hold a slot for ever.
   */
  extendByLearner(id: string, learner: string): SessionInfo {
    const live = this.require(id, learner);
    const used = live.row.extensions;
    if (used >= this.limits.maxExtensions)
      throw new ApiError(
        409,
        'extend_limit',
        `This session was already extended ${used} times, the most this server allows; save your work before it ends.`,
      );
    live.row.extensions = used + 1;
    this.store.setExtensions(id, live.row.extensions);
    this.touch(id);
    return this.info(live);
  }

  /** A learner's open sessions (an instructor's roster). */
  sessionsOf(learner: string): SessionInfo[] {
    return [...this.live.values()].filter((l) => l.row.learner === learner).map((l) => this.info(l));
  }

  /** Gives a session more time before the reaper ends it (an instructor's extend); returns the total added. */
  extend(id: string, ms: number): number {
    const live = this.require(id);
    live.extendedMs = (live.extendedMs ?? 0) + ms;
    return live.extendedMs;
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
    const terminal = this.terminals.open(id, live.row.workspace, name, this.sandboxOf(live));
    this.touch(id);
    return terminal;
  }

  /** Closes one of the learner's terminals (its tab was closed). */
  closeTerminal(id: string, learner: string, name: string): boolean {
    this.require(id, learner);
    return this.terminals.close(id, name);
  }

  touch(id: string): void {
    const live = this.live.get(id);
    if (!live) return;
    live.row.lastActive = Date.now();
    this.store.touch(id, live.row.lastActive);
  }

  /** Fresh cluster and workspace for the same lab (after any reset or end already under way). */
  async reset(id: string, learner: string): Promise<SessionInfo> {
    const live = this.require(id, learner);
    return this.serialised(live, async () => {
      if (this.live.get(id) !== live) throw new ApiError(404, 'unknown_session', `There is no open session "${id}".`);
      if (live.row.state === 'creating') live.abort.abort(new Error('the session was reset'));
      await live.ready.catch(() => undefined);
      this.terminals.closeAll(live.row.id, terminalClose.reset, 'lab reset');
      const backend = this.backends.get(live.row.backend)!;
      await this.sandbox.release(this.sandboxOf(live), { discard: true });
      try {
        await backend.destroy(id, live.row.workspace);
      } catch (error) {
        // A cluster that could not be deleted must not be handed back as a fresh one.
        throw new ApiError(
          502,
          'cluster_delete_failed',
          `The old cluster could not be deleted, so the lab was not reset: ${(error as Error).message}. Try again.`,
        );
      }
      live.row.state = 'creating';
      live.row.error = null;
      this.store.setState(id, 'creating');
      live.stages = [];
      live.ready = this.provision(live, this.lab(live.row.labId), backend, false);
      live.ready.catch(() => undefined);
      return this.info(live);
    });
  }

  async end(id: string, learner?: string): Promise<void> {
    const live = this.require(id, learner);
    await this.serialised(live, async () => {
      if (this.live.get(id) !== live) return;
      if (live.row.state === 'creating') live.abort.abort(new Error('the session was ended'));
      await live.ready.catch(() => undefined);
      this.terminals.closeAll(live.row.id, terminalClose.ended, 'session ended');
      await this.sandbox.release(this.sandboxOf(live), { discard: true });
      this.releaseUid(live);
      // A failed delete is logged and left to the backend's orphan reaper; the session still ends.
      await this.backends
        .get(live.row.backend)
        ?.destroy(id, live.row.workspace)
        .catch((error: unknown) =>
          console.error(
            JSON.stringify({ level: 'error', msg: 'cluster delete failed', session: id, error: String(error) }),
          ),
        );
      await rm(live.row.workspace, { recursive: true, force: true });
      live.row.state = 'ended';
      this.store.setState(id, 'ended');
      live.events.removeAllListeners();
      this.live.delete(id);
    });
  }

  /** The session's learner side (files, scripts, command log) as graders and `labs test` see it. */
  learner(id: string): LearnerAccess {
    const live = this.require(id);
    return learnerAccess(this.sandbox, this.sandboxOf(live), workspacePaths(live.row.workspace));
  }

  /** "Apply the solution" of an exercise to the learner's open session. */
  applySolution(id: string, learner: string, exerciseId: string) {
    return this.exercises.apply(id, learner, exerciseId);
  }

  /** Runs argv in HOME as the learner, in the sandbox, with the environment their shell has. */
  runAsLearner(id: string, argv: string[], timeoutMs: number) {
    const live = this.require(id);
    return this.sandbox.run(this.sandboxOf(live), argv, {
      // The sandbox sets its own PATH when isolated; otherwise the server's applies, as in the shell.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...learnerEnv(workspacePaths(live.row.workspace)) },
      timeoutMs,
      maxOutputBytes: 1024 * 1024,
    });
  }

  /** Writes files into the session's HOME as the learner (paths relative to HOME). */
  async writeLearnerFiles(id: string, files: Array<{ path: string; content: string }>): Promise<void> {
    await this.sandbox.writeFiles(this.sandboxOf(this.require(id)), files);
  }

  /** Ends sessions idle or open for too long; typing in a terminal counts as activity. */
  async reap(now = Date.now()): Promise<string[]> {
    const ended: string[] = [];
    for (const live of [...this.live.values()]) {
      const deadlines = this.deadlines(live);
      if (now > deadlines.idle || now > deadlines.lifetime) {
        await this.end(live.row.id).catch(() => undefined);
        ended.push(live.row.id);
      }
    }
    return ended;
  }

  startReaper(intervalMs = 60_000): void {
    this.reaper = setInterval(() => void this.reap(), intervalMs);
    this.reaper.unref();
    this.noticeTimer = setInterval(() => this.showLimitNotices(), 2000);
    this.noticeTimer.unref();
  }

  /** Tells learners in their terminals when their session hit a limit (memory, processes, disk). */
  showLimitNotices(): void {
    for (const live of this.live.values()) {
      if (live.row.state !== 'ready' || !this.terminals.has(live.row.id)) continue;
      for (const text of limitNotices(this.sandbox, this.sandboxOf(live), live.notices))
        this.terminals.notice(live.row.id, text);
    }
  }

  counts(): Record<string, number> {
    const counts: Record<string, number> = { creating: 0, ready: 0, failed: 0 };
    for (const live of this.live.values()) counts[live.row.state] = (counts[live.row.state] ?? 0) + 1;
    return counts;
  }

  /** Server shutdown: shells stop, clusters are suspended (state kept for resume). */
  async shutdown(): Promise<void> {
    if (this.reaper) clearInterval(this.reaper);
    if (this.noticeTimer) clearInterval(this.noticeTimer);
    for (const live of this.live.values()) {
      await this.serialised(live, async () => {
        this.terminals.closeAll(live.row.id);
        await live.ready.catch(() => undefined);
        await this.sandbox.release(this.sandboxOf(live), { discard: false });
        this.releaseUid(live);
        await this.backends.get(live.row.backend)?.suspend?.(live.row.id);
      });
    }
    this.live.clear();
  }
}
