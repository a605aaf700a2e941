import { Agent, request } from 'node:https';
import type { Credentials, EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

/** A raw HTTPS client for the embedded cluster (for requests kubectl would never send). */
export class ApiClient {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(cluster: EmbeddedCluster, credentials?: Credentials) {
    this.base = new URL(cluster.url);
    this.agent = new Agent({
      ca: cluster.caPem,
      cert: credentials?.certPem,
      key: credentials?.keyPem,
      keepAlive: true,
      maxSockets: 4,
    });
  }

  send(
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname,
          port: this.base.port,
          path,
          method,
          agent: this.agent,
          headers: { accept: 'application/json', ...headers },
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
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function varint(n: bigint): Buffer {
  const bytes: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

/** A protobuf value in the kubectl wire log's notation: [[field, value], ...]. */
export type Fields = Array<[number, string | number | boolean | Buffer | Fields]>;

/** Encodes the nested [field, value] notation of the kubectl wire log as protobuf bytes. */
export function encodeFields(fields: Fields): Buffer {
  const parts: Buffer[] = [];
  for (const [field, value] of fields) {
    if (typeof value === 'number' || typeof value === 'boolean') {
      parts.push(varint(BigInt(field << 3)), varint(BigInt(Number(value))));
      continue;
    }
    const bytes = Buffer.isBuffer(value) ? value : typeof value === 'string' ? Buffer.from(value) : encodeFields(value);
    parts.push(varint(BigInt((field << 3) | 2)), varint(BigInt(bytes.length)), bytes);
  }
  return Buffer.concat(parts);
}

/** A Kubernetes protobuf request body: magic, then runtime.Unknown{typeMeta, raw}. */
export function protobufEnvelope(apiVersion: string, kind: string, object: Fields): Buffer {
  const unknown = encodeFields([
    [
      1,
      [
        [1, apiVersion],
        [2, kind],
      ],
    ],
    [2, encodeFields(object)],
  ]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}
