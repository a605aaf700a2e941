import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterQuota } from '../cluster/embedded/storage/quota.ts';
import { webSecurity, type WebSecurity } from '../http/security.ts';
import { createClassroomHttp } from '../classroom/http.ts';
import { moduleExercises } from '../classroom/certificates.ts';
import { loadModuleTitles } from '../classroom/module-titles.ts';
import type { OidcSettings } from '../classroom/oidc.ts';
import type { SignInLimits } from '../classroom/auth-routes.ts';
import { EmbeddedBackend } from './backends/embedded.ts';
import { execaRunner } from './backends/command-runner.ts';
import { KindBackend, type KindOptions } from './backends/kind/backend.ts';
import { installId } from './backends/kind/install-id.ts';
import { kindImageCache } from '../tools/location.ts';
import type { ClusterBackend } from './backends/types.ts';
import { createLabHttp, defaultApiLimits, type ApiLimits, type LabHttp } from './http.ts';
import type { SessionResourceLimits } from './isolation/limits.ts';
import { Sandbox } from './isolation/sandbox.ts';
import { loadLabs } from '../labs/catalog.ts';
import { loadLessons } from '../lessons/catalog.ts';
import { createLessonApi } from '../lessons/routes.ts';
import { createMetrics } from './metrics.ts';
import { SessionManager, type SessionLimits } from './sessions.ts';
import { LabStore } from './store.ts';
import { openClassroomStore } from './store/open.ts';
import type { ClassroomStore } from './store/types.ts';
import { prepareDataDir } from './workspace.ts';
import { isLoopback } from '../http/security.ts';

export interface LabServerOptions {
  dataDir: string;
  /** Accounts, classes and progress: a postgres:// URL, or (default) the SQLite file in dataDir. */
  database?: string;
  labsDir: string;
  /** A school's OIDC provider for sign-in (README: "Sign-in with OIDC"). */
  oidc?: OidcSettings;
  /** The course content: module titles on certificates, lesson quizzes and their answer keys; default the project's content/. */
  contentDir?: string;
  /** embedded, kind, or auto (each lab's first supported backend). */
  backend?: 'embedded' | 'kind' | 'auto';
  limits?: Partial<SessionLimits>;
  apiLimits?: Partial<ApiLimits>;
  /** Wrong-password and sign-up limits. */
  signInLimits?: Partial<SignInLimits>;
  /** How often open class rosters look for changes besides progress (ms). */
  rosterPollMs?: number;
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
  /** kind backend options: tests pass a recorded runner (kind, docker, kubectl) and sysctl values. */
  kind?: Partial<Omit<KindOptions, 'installId' | 'knownSessions'>>;
  /** The address the server listens on: kind is single-tenant, so only loopback unless opted in. */
  host?: string;
  /** The operator accepts that kind learners can reach the host (privileged nodes, cluster-admin). */
  kindSharedHost?: boolean;
  /** kind warm pool: lab id → clusters kept ready. */
  kindWarmPool?: Record<string, number>;
}

export interface LabServer {
  http: LabHttp;
  sessions: SessionManager;
  classroom: ClassroomStore;
  embedded: EmbeddedBackend;
  sandbox: Sandbox;
  /** The kind backend when it passed its preflight. */
  kind?: KindBackend;
  /** One line for the server log: kind registered, or why not. */
  kindStatus: string;
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
  const classroom = await openClassroomStore(options.database, store);
  const labs = await loadLabs(options.labsDir);
  const embedded = new EmbeddedBackend({ quota: options.clusterQuota });
  const backends: ClusterBackend[] = options.backends ?? [embedded];
  const unavailable = new Map<string, { reason: string; missing: string[] }>();
  let kind: KindBackend | undefined;
  const wantKind = options.backend === 'kind' || options.backend === 'auto' || options.backend === undefined;
  if (!options.backends && !wantKind)
    unavailable.set('kind', {
      reason: 'The server was started with --backend embedded.',
      missing: ['operator-embedded'],
    });
  if (!options.backends && wantKind) {
    kind = new KindBackend({
      runner: execaRunner,
      installId: await installId(options.dataDir),
      knownSessions: () => store.active().map((s) => ({ id: s.id, workspace: s.workspace })),
      warmPool: options.kindWarmPool,
      poolDir: join(options.dataDir, 'kind-pool'),
      imageCache: kindImageCache(),
      log: (line) => console.error(line),
      ...options.kind,
    });
    const preflight = await kindRefusal(options, kind);
    if (preflight.ok) {
      backends.push(kind);
      await kind.reapOrphans().catch((error: unknown) => console.error(`kind reaper: ${String(error)}`));
      kind.startReaper();
      for (const lab of labs.values()) void kind.fillPool(lab);
    } else {
      if (options.backend === 'kind') throw new Error(`kind backend unavailable: ${preflight.reason}`);
      unavailable.set('kind', { reason: preflight.reason, missing: preflight.missing });
      kind = undefined;
    }
  }
  const sessions = new SessionManager({
    store,
    progress: classroom,
    labs,
    backends,
    dataDir: options.dataDir,
    limits: options.limits,
    backend: options.backend ?? 'auto',
    unavailable,
    sandbox,
  });
  await sessions.restore();
  sessions.startReaper();
  const security = options.security ?? webSecurity({ bindHost: '127.0.0.1' });
  const classroomHttp = createClassroomHttp(
    classroom,
    security,
    {
      sessionsOf: (learner) => sessions.sessionsOf(learner),
      timeSpent: (learner) => store.timeSpent(learner),
      end: (id) => sessions.end(id),
      reset: (id, learner) => sessions.reset(id, learner),
      extend: (id, ms) => sessions.extend(id, ms),
    },
    moduleExercises(
      [...labs.values()].map((l) => ({
        id: l.id,
        module: l.definition.module,
        backends: l.definition.backends,
        exercises: l.definition.exercises,
      })),
      new Set(backends.map((b) => b.name)),
    ),
    {
      signInLimits: options.signInLimits,
      rosterPollMs: options.rosterPollMs,
      oidc: options.oidc,
      titles: await loadModuleTitles(options.contentDir ?? join(import.meta.dirname, '..', '..', 'content')),
    },
  );
  const lessons = await loadLessons(options.contentDir ?? join(import.meta.dirname, '..', '..', 'content'));
  const http = createLabHttp(sessions, createMetrics(sessions), {
    classroom: classroomHttp,
    lessons: createLessonApi(lessons, classroom, {
      ...defaultApiLimits.checksPerLearner,
      ...options.apiLimits?.checksPerLearner,
    }),
    allowedOrigins: options.allowedOrigins,
    security,
    limits: options.apiLimits,
  });
  return {
    http,
    sessions,
    classroom,
    embedded,
    sandbox,
    kind,
    kindStatus: kind
      ? 'kind backend: available (single-tenant; see README)'
      : `kind backend: not available: ${unavailable.get('kind')?.reason ?? 'not requested'}`,
    async close() {
      kind?.stopReaper();
      classroomHttp.close();
      await sessions.shutdown();
      await classroom.close();
      store.close();
    },
  };
}

/** The kind preflight, plus the single-tenant rule: no kind on a shared address unless the operator opts in. */
async function kindRefusal(
  options: LabServerOptions,
  kind: KindBackend,
): Promise<{ ok: true } | { ok: false; reason: string; missing: string[] }> {
  if (options.host && !isLoopback(options.host) && !options.kindSharedHost)
    return {
      ok: false,
      reason: `kind is single-tenant (privileged nodes, cluster-admin learners) and this server listens on ${options.host}; start it with --kind-shared-host to accept that every kind learner can reach the host.`,
      missing: ['single-tenant'],
    };
  const preflight = await kind.preflight();
  return preflight.ok ? { ok: true } : { ok: false, reason: preflight.reason, missing: preflight.missing };
}
