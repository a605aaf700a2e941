import { KubeClient } from '../../server/kube/client.ts';
import type { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import type { Credentials } from '../../server/cluster/embedded/kubeconfig.ts';

/** The production Kubernetes client, pointed at an embedded cluster (optionally without credentials). */
export class ApiClient extends KubeClient {
  constructor(cluster: EmbeddedCluster, credentials?: Credentials) {
    super({ server: cluster.url, caPem: cluster.caPem, certPem: credentials?.certPem, keyPem: credentials?.keyPem });
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

/**
 * A Kubernetes protobuf request body as kubectl sends it: magic, then runtime.Unknown{typeMeta,
 * raw, contentEncoding: "", contentType: ""} (kubectl writes the two empty strings too).
 */
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
    [3, ''],
    [4, ''],
  ]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}
