import { Agent, request } from 'node:https';
import { parse as parseYaml } from 'yaml';

export interface KubeEndpoint {
  server: string;
  caPem: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
}

export interface KubeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

export class KubeconfigError extends Error {}

const fromBase64 = (value: unknown) =>
  typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;

/** Reads the current context of a kubeconfig (inline data only, as our kubeconfigs are). */
export function endpointFromKubeconfig(text: string, context?: string): KubeEndpoint {
  const config = parseYaml(text) as {
    'current-context'?: string;
    contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
    clusters?: Array<{ name: string; cluster: Record<string, unknown> }>;
    users?: Array<{ name: string; user: Record<string, unknown> }>;
  };
  const name = context ?? config['current-context'];
  const ctx = config.contexts?.find((c) => c.name === name)?.context;
  if (!ctx) throw new KubeconfigError(`kubeconfig has no context "${name ?? ''}"`);
  const cluster = config.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  const user = config.users?.find((u) => u.name === ctx.user)?.user ?? {};
  if (!cluster || typeof cluster.server !== 'string')
    throw new KubeconfigError(`kubeconfig has no cluster "${ctx.cluster}"`);
  return {
    server: cluster.server,
    caPem: fromBase64(cluster['certificate-authority-data']) ?? '',
    certPem: fromBase64(user['client-certificate-data']),
    keyPem: fromBase64(user['client-key-data']),
    token: typeof user.token === 'string' ? user.token : undefined,
  };
}

/** A small HTTPS client for the Kubernetes API, for graders and tests. */
export class KubeClient {
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly token?: string;

  constructor(endpoint: KubeEndpoint) {
    this.base = new URL(endpoint.server);
    this.token = endpoint.token;
    this.agent = new Agent({
      ca: endpoint.caPem || undefined,
      cert: endpoint.certPem,
      key: endpoint.keyPem,
      keepAlive: true,
      maxSockets: 4,
    });
  }

  static fromKubeconfig(text: string, context?: string): KubeClient {
    return new KubeClient(endpointFromKubeconfig(text, context));
  }

  send(
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
    timeoutMs = 30_000,
  ): Promise<KubeResponse> {
    const allHeaders: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.token) allHeaders.authorization = `Bearer ${this.token}`;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname,
          port: this.base.port,
          path,
          method,
          agent: this.agent,
          headers: allHeaders,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              json: () => JSON.parse(text) as Record<string, unknown>,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request to ${path} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** POSTs a JSON object and returns the decoded answer (throws on non-2xx). */
  async create<T = Record<string, unknown>>(path: string, object: unknown): Promise<T> {
    const res = await this.send('POST', path, JSON.stringify(object), { 'content-type': 'application/json' });
    if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${res.text}`);
    return res.json() as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
