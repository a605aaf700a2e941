import { parseArgs } from 'node:util';
import type { OidcSettings } from './classroom/oidc.ts';
import { defaultResourceLimits, parseBytes, type SessionResourceLimits } from './lab/isolation/limits.ts';
import { defaultClusterQuota, type ClusterQuota } from './cluster/embedded/storage/quota.ts';

export interface ServerConfig {
  port: number;
  host: string;
  /** Sessions, workspaces and the SQLite database. */
  dataDir: string;
  /** Accounts, classes and progress: a postgres:// URL for replicas sharing them; default the SQLite file. */
  database?: string;
  backend: 'embedded' | 'kind' | 'auto';
  /** kind on a non-loopback bind: the operator accepts that kind is single-tenant. */
  kindSharedHost: boolean;
  /** kind clusters kept ready per lab id. */
  kindWarmPool: Record<string, number>;
  /** kind creates at once, and the host memory all kind clusters may take (bytes; default 75 % of RAM). */
  kindMaxCreates: number;
  kindMemoryBudget?: number;
  /** Skip the "build the site if needed" step (tests build once up front). */
  skipBuild: boolean;
  /** The addresses learners use (https://labs.example.org); their hosts are allowed, https sets Secure cookies. */
  publicUrls: string[];
  trustProxy: boolean;
  adminToken?: string;
  maxSessions: number;
  maxSessionsPerLearner: number;
  maxSessionsPerAddress: number;
  idleTtlMinutes: number;
  sessionTtlMinutes: number;
  /** What a learner's Extend adds (minutes), and how many times one session may be extended. */
  extendMinutes: number;
  maxExtensions: number;
  maxConnections: number;
  /** Per minute (the burst is the same number): new labs per client address and per learner, checks and hints per learner. */
  createsPerIpPerMinute: number;
  createsPerLearnerPerMinute: number;
  checksPerLearnerPerMinute: number;
  /** New anonymous learners (cookieless state changes) per client address per minute; the burst is twice it. */
  newLearnersPerIpPerMinute: number;
  /** Open event streams per learner; terminal WebSockets per session. */
  streamsPerLearner: number;
  socketsPerSession: number;
  resources: SessionResourceLimits;
  cluster: ClusterQuota;
  /** A school's OpenID Connect provider for sign-in; off unless --oidc-issuer is given. */
  oidc?: OidcSettings;
}

export class ConfigError extends Error {}

function parsePort(value: string, source: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new ConfigError(`${source} must be a port number from 0 to 65535, got "${value}"`);
  return port;
}

function positive(value: string | undefined, flag: string, fallback: number, allowFraction = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (!allowFraction && !Number.isInteger(n)))
    throw new ConfigError(`${flag} must be a positive ${allowFraction ? 'number' : 'integer'}, got "${value}"`);
  return n;
}

function count(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${flag} must be a whole number (0 or more), got "${value}"`);
  return Number(value);
}

function bytes(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = parseBytes(value);
  if (n === undefined) throw new ConfigError(`${flag} must be a size such as 512M or 2G, got "${value}"`);
  return n;
}

const numberFlags = [
  'max-sessions',
  'max-sessions-per-learner',
  'max-sessions-per-ip',
  'idle-ttl',
  'session-ttl',
  'extend-minutes',
  'max-extensions',
  'max-connections',
  'creates-per-ip',
  'creates-per-learner',
  'checks-per-learner',
  'new-learners-per-ip',
  'streams-per-learner',
  'sockets-per-session',
  'session-processes',
  'session-open-files',
  'session-cpus',
  'session-file-size',
  'session-memory',
  'session-disk',
  'cluster-objects',
  'cluster-bytes',
  'cluster-pods',
  'cluster-replicas',
] as const;

const loopbackHosts = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** The OIDC flags (or LAB_OIDC_* variables): all of issuer, client id and redirect URL, or none. */
function readOidc(v: Record<string, string | undefined>, env: NodeJS.ProcessEnv, publicUrls: string[]) {
  const issuer = v['oidc-issuer'] ?? env.LAB_OIDC_ISSUER;
  const clientId = v['oidc-client-id'] ?? env.LAB_OIDC_CLIENT_ID;
  // The secret is better in the environment than on a command line every local user can list.
  const clientSecret = v['oidc-client-secret'] ?? env.LAB_OIDC_CLIENT_SECRET;
  const name = v['oidc-name'] ?? env.LAB_OIDC_NAME;
  const firstPublic = publicUrls[0]?.replace(/\/$/, '');
  const redirectUrl =
    v['oidc-redirect-url'] ??
    env.LAB_OIDC_REDIRECT_URL ??
    (firstPublic ? `${firstPublic}/api/auth/oidc/callback` : undefined);
  if (issuer === undefined) {
    if (clientId !== undefined || v['oidc-redirect-url'] !== undefined)
      throw new ConfigError('--oidc-client-id and --oidc-redirect-url need --oidc-issuer');
    return undefined;
  }
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    throw new ConfigError(`--oidc-issuer must be a URL such as https://login.school.example, got "${issuer}"`);
  }
  if (
    issuerUrl.protocol !== 'https:' &&
    !(issuerUrl.protocol === 'http:' && loopbackHosts.test(issuerUrl.host.replace(/:\d+$/, '')))
  )
    throw new ConfigError(`--oidc-issuer must be https:// (http:// only on this machine), got "${issuer}"`);
  if (!clientId) throw new ConfigError('--oidc-issuer needs --oidc-client-id');
  if (!redirectUrl)
    throw new ConfigError(
      '--oidc-issuer needs --oidc-redirect-url (or --public-url, to which /api/auth/oidc/callback is added)',
    );
  let redirect: URL;
  try {
    redirect = new URL(redirectUrl);
  } catch {
    throw new ConfigError(`--oidc-redirect-url must be a URL, got "${redirectUrl}"`);
  }
  if (!/^https?:$/.test(redirect.protocol) || redirect.pathname !== '/api/auth/oidc/callback' || redirect.search)
    throw new ConfigError(
      `--oidc-redirect-url must be this server's https://<host>/api/auth/oidc/callback, got "${redirectUrl}"`,
    );
  return { issuer, clientId, clientSecret: clientSecret || undefined, redirectUrl, name: name || undefined };
}

/** Reads the command line, falling back to environment variables, then defaults (README: "Running a class"). */
export function readConfig(argv: string[], env: NodeJS.ProcessEnv): ServerConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      database: { type: 'string' },
      backend: { type: 'string' },
      'public-url': { type: 'string', multiple: true },
      'trust-proxy': { type: 'boolean', default: false },
      'admin-token': { type: 'string' },
      'kind-shared-host': { type: 'boolean', default: false },
      'kind-warm-pool': { type: 'string' },
      'kind-max-creates': { type: 'string' },
      'kind-memory-budget': { type: 'string' },
      'oidc-issuer': { type: 'string' },
      'oidc-client-id': { type: 'string' },
      'oidc-client-secret': { type: 'string' },
      'oidc-redirect-url': { type: 'string' },
      'oidc-name': { type: 'string' },
      ...Object.fromEntries(numberFlags.map((f) => [f, { type: 'string' as const }])),
    },
    strict: true,
  });
  const v = values as unknown as Record<string, string | undefined>;
  const port =
    values.port !== undefined ? parsePort(values.port, '--port') : env.PORT ? parsePort(env.PORT, 'PORT') : 4321;
  const backend = values.backend ?? env.LAB_BACKEND ?? 'auto';
  if (!['embedded', 'kind', 'auto'].includes(backend))
    throw new ConfigError(`--backend must be embedded, kind or auto, got "${backend}"`);
  const publicUrls = [...(values['public-url'] ?? []), ...(env.LAB_PUBLIC_URL ? env.LAB_PUBLIC_URL.split(',') : [])]
    .flatMap((u) => u.split(','))
    .map((u) => u.trim())
    .filter(Boolean);
  for (const url of publicUrls) {
    if (!/^https?:\/\/[^/]+\/?$/.test(url))
      throw new ConfigError(`--public-url must look like https://labs.example.org, got "${url}"`);
  }
  const kindWarmPool: Record<string, number> = {};
  for (const entry of (values['kind-warm-pool'] ?? env.LAB_KIND_WARM_POOL ?? '').split(',').filter(Boolean)) {
    const m = /^([a-z0-9-]+)=(\d+)$/.exec(entry.trim());
    if (!m) throw new ConfigError(`--kind-warm-pool takes lab=count pairs such as sign-and-verify=2, got "${entry}"`);
    kindWarmPool[m[1]!] = Number(m[2]);
  }
  const database = values.database ?? env.LAB_DATABASE;
  if (database !== undefined && !/^postgres(ql)?:\/\/./.test(database))
    throw new ConfigError(
      `--database takes a postgres://user:password@host/db URL (the default is SQLite in the data directory), got "${database}"`,
    );
  const r = defaultResourceLimits;
  const q = defaultClusterQuota;
  return {
    port,
    host: values.host ?? env.HOST ?? '127.0.0.1',
    skipBuild: values['no-build'] ?? false,
    dataDir: values['data-dir'] ?? env.LAB_DATA_DIR ?? 'var',
    database,
    backend: backend as ServerConfig['backend'],
    kindSharedHost: (values['kind-shared-host'] ?? false) || env.LAB_KIND_SHARED_HOST === '1',
    kindWarmPool,
    kindMaxCreates: positive(v['kind-max-creates'] ?? env.LAB_KIND_MAX_CREATES, '--kind-max-creates', 2),
    kindMemoryBudget:
      (v['kind-memory-budget'] ?? env.LAB_KIND_MEMORY_BUDGET) === undefined
        ? undefined
        : bytes(v['kind-memory-budget'] ?? env.LAB_KIND_MEMORY_BUDGET, '--kind-memory-budget', 0),
    publicUrls,
    trustProxy: values['trust-proxy'] ?? false,
    adminToken: values['admin-token'] ?? env.LAB_ADMIN_TOKEN,
    maxSessions: positive(v['max-sessions'], '--max-sessions', 50),
    maxSessionsPerLearner: positive(v['max-sessions-per-learner'], '--max-sessions-per-learner', 3),
    maxSessionsPerAddress: positive(v['max-sessions-per-ip'], '--max-sessions-per-ip', 40),
    idleTtlMinutes: positive(v['idle-ttl'], '--idle-ttl', 120),
    sessionTtlMinutes: positive(v['session-ttl'], '--session-ttl', 480),
    extendMinutes: positive(v['extend-minutes'], '--extend-minutes', 30),
    maxExtensions: count(v['max-extensions'], '--max-extensions', 4),
    maxConnections: positive(v['max-connections'], '--max-connections', 2000),
    createsPerIpPerMinute: positive(v['creates-per-ip'], '--creates-per-ip', 30),
    createsPerLearnerPerMinute: positive(v['creates-per-learner'], '--creates-per-learner', 6),
    checksPerLearnerPerMinute: positive(v['checks-per-learner'], '--checks-per-learner', 60),
    newLearnersPerIpPerMinute: positive(v['new-learners-per-ip'], '--new-learners-per-ip', 30),
    streamsPerLearner: positive(v['streams-per-learner'], '--streams-per-learner', 8),
    socketsPerSession: positive(v['sockets-per-session'], '--sockets-per-session', 16),
    resources: {
      processes: positive(v['session-processes'], '--session-processes', r.processes),
      openFiles: positive(v['session-open-files'], '--session-open-files', r.openFiles),
      cpus: positive(v['session-cpus'], '--session-cpus', r.cpus, true),
      fileSizeBytes: bytes(v['session-file-size'], '--session-file-size', r.fileSizeBytes),
      memoryBytes: bytes(v['session-memory'], '--session-memory', r.memoryBytes),
      diskBytes: bytes(v['session-disk'], '--session-disk', r.diskBytes),
    },
    cluster: {
      maxObjects: positive(v['cluster-objects'], '--cluster-objects', q.maxObjects),
      maxBytes: bytes(v['cluster-bytes'], '--cluster-bytes', q.maxBytes),
      maxPods: positive(v['cluster-pods'], '--cluster-pods', q.maxPods),
      maxReplicas: positive(v['cluster-replicas'], '--cluster-replicas', q.maxReplicas),
      maxObjectBytes: q.maxObjectBytes,
    },
    oidc: readOidc(v, env, publicUrls),
  };
}
