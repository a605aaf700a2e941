import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbeddedBackend } from './backends/embedded.ts';
import { execaRunner } from './backends/command-runner.ts';
import { KindBackend } from './backends/kind.ts';
import type { ClusterBackend } from './backends/types.ts';
import { createLabHttp, type LabHttp } from './http.ts';
import { loadLabs } from '../labs/catalog.ts';
import { createMetrics } from './metrics.ts';
import { SessionManager, type SessionLimits } from './sessions.ts';
import { LabStore } from './store.ts';

export interface LabServerOptions {
  dataDir: string;
  labsDir: string;
  /** embedded, kind, or auto (each lab's first supported backend). */
  backend?: 'embedded' | 'kind' | 'auto';
  limits?: Partial<SessionLimits>;
  allowedOrigins?: string[];
  /** Confine learner shells with bubblewrap (required when serving beyond loopback). */
  sandbox?: string;
  /** Backends to use instead of the defaults (tests). */
  backends?: ClusterBackend[];
}

export interface LabServer {
  http: LabHttp;
  sessions: SessionManager;
  embedded: EmbeddedBackend;
  close(): Promise<void>;
}

/** Builds the lab server: SQLite store, lab catalog, backends, sessions (resumed), HTTP/WS API. */
export async function createLabServer(options: LabServerOptions): Promise<LabServer> {
  await mkdir(options.dataDir, { recursive: true });
  const store = new LabStore(join(options.dataDir, 'lab.sqlite'));
  const labs = await loadLabs(options.labsDir);
  const embedded = new EmbeddedBackend();
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
    bwrap: options.sandbox,
  });
  await sessions.restore();
  sessions.startReaper();
  const http = createLabHttp(sessions, createMetrics(sessions), { allowedOrigins: options.allowedOrigins });
  return {
    http,
    sessions,
    embedded,
    async close() {
      await sessions.shutdown();
      store.close();
    },
  };
}
