import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterQuota } from '../cluster/embedded/storage/quota.ts';
import type { WebSecurity } from '../http/security.ts';
import { EmbeddedBackend } from './backends/embedded.ts';
import { execaRunner } from './backends/command-runner.ts';
import { KindBackend } from './backends/kind.ts';
import type { ClusterBackend } from './backends/types.ts';
import { createLabHttp, type ApiLimits, type LabHttp } from './http.ts';
import type { SessionResourceLimits } from './isolation/limits.ts';
import { Sandbox } from './isolation/sandbox.ts';
import { loadLabs } from '../labs/catalog.ts';
import { createMetrics } from './metrics.ts';
import { SessionManager, type SessionLimits } from './sessions.ts';
import { LabStore } from './store.ts';
import { prepareDataDir } from './workspace.ts';

export interface LabServerOptions {
  dataDir: string;
  labsDir: string;
  /** embedded, kind, or auto (each lab's first supported backend). */
  backend?: 'embedded' | 'kind' | 'auto';
  limits?: Partial<SessionLimits>;
  apiLimits?: Partial<ApiLimits>;
  /** What one session's processes may use (cgroups where writable, rlimits otherwise). */
  resources?: Partial<SessionResourceLimits>;
  /** What one embedded cluster may hold. */
  clusterQuota?: Partial<ClusterQuota>;
  allowedOrigins?: string[];
  security?: WebSecurity;
  /** bubblewrap binary, or false to isolate without it; default: found on PATH. */
  bwrap?: string | false;
  /** Loop-mounted HOME images (the workspace disk limit); default on where loop devices work. */
  diskLimits?: boolean;
  /** Backends to use instead of the defaults (tests). */
  backends?: ClusterBackend[];
}

export interface LabServer {
  http: LabHttp;
  sessions: SessionManager;
  embedded: EmbeddedBackend;
  sandbox: Sandbox;
  close(): Promise<void>;
}

/**
 * Builds the lab server: learner sandbox (isolated when root), SQLite store, lab catalog,
 * backends, sessions (resumed), HTTP/WS API.
 */
export async function createLabServer(options: LabServerOptions): Promise<LabServer> {
  await mkdir(options.dataDir, { recursive: true });
  const sandbox = await Sandbox.detect({
    dataDir: options.dataDir,
    limits: options.resources,
    bwrap: options.bwrap,
    diskLimits: options.diskLimits,
  });
  await prepareDataDir(options.dataDir, sandbox.isolated);
  const store = new LabStore(join(options.dataDir, 'lab.sqlite'));
  const labs = await loadLabs(options.labsDir);
  const embedded = new EmbeddedBackend({ quota: options.clusterQuota });
  const backends: ClusterBackend[] = options.backends ?? [embedded];
  if (!options.backends && options.backend === 'kind') {
    const kind = new KindBackend({
      runner: execaRunner,
      knownClusters: async () => new Set(store.active().map((s) => KindBackend.clusterName(s.id))),
    });
    const preflight = await kind.preflight();
    if (!preflight.ok) throw new Error(`kind backend unavailable: ${preflight.reason}`);
    backends.push(kind);
    await kind.reapOrphans();
  }
  const sessions = new SessionManager({
    store,
    labs,
    backends,
    dataDir: options.dataDir,
    limits: options.limits,
    backend: options.backend ?? 'auto',
    sandbox,
  });
  await sessions.restore();
  sessions.startReaper();
  const http = createLabHttp(sessions, createMetrics(sessions), {
    allowedOrigins: options.allowedOrigins,
    security: options.security,
    limits: options.apiLimits,
  });
  return {
    http,
    sessions,
    embedded,
    sandbox,
    async close() {
      await sessions.shutdown();
      store.close();
    },
  };
}
