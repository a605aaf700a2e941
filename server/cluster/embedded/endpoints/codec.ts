import type { IncomingMessage } from 'node:http';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { decodeProtobufObject, ProtobufDecodeError } from './protobuf/decode.ts';
import { errors } from '../api/status.ts';

/** kube-apiserver's default limit on request bodies (3 MiB). */
export const maxRequestBodyBytes = 3 * 1024 * 1024;

export const acceptedBodyTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** Reads the whole body, failing with 413 past the limit. */
export async function readBody(req: IncomingMessage, limit = maxRequestBodyBytes): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw errors.tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw errors.tooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Parses a request body into JSON; YAML and protobuf become the same plain objects. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (type === 'application/vnd.kubernetes.protobuf') {
    try {
      return decodeProtobufObject(body);
    } catch (error) {
      if (error instanceof ProtobufDecodeError) throw errors.badRequest(error.message);
      throw error;
    }
  }
  const text = body.toString('utf8');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
    } catch (error) {
      const message = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
      throw errors.badRequest(`error converting YAML to JSON: yaml: ${message}`);
    }
  }
  if (type === '' || type === 'application/json' || type.endsWith('+json')) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw errors.badRequest(jsonErrorMessage(text, error));
    }
  }
  throw errors.unsupportedMediaType(type, [
    'application/json',
    'application/yaml',
    'application/vnd.kubernetes.protobuf',
  ]);
}

/** Go's encoding/json wording for the errors kubectl users are likely to see. */
function jsonErrorMessage(text: string, error: unknown): string {
  if (text.trim() === '') return 'the body of the request was empty';
  const detail = error instanceof Error ? error.message : String(error);
  return `couldn't get version/kind; json parse error: ${detail}`;
}

/** What the client accepts back: a Table, aggregated discovery, or plain JSON. */
export interface Accept {
  table: boolean;
  aggregatedDiscovery: boolean;
  /** PartialObjectMetadata(List) requested (as=PartialObjectMetadata). */
  partialMetadata: boolean;
}

export function parseAccept(header: string | undefined): Accept {
  const result: Accept = { table: false, aggregatedDiscovery: false, partialMetadata: false };
  for (const part of (header ?? '').split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim());
    const p = new Map(params.map((kv) => kv.split('=') as [string, string]));
    if (!['application/json', 'application/yaml', '*/*', ''].includes(type)) continue;
    const as = p.get('as');
    if (!as) break; // plain JSON ranks before any later alternative
    if (as === 'Table' && p.get('g') === 'meta.k8s.io' && (p.get('v') === 'v1' || p.get('v') === 'v1beta1')) {
      result.table = true;
      break;
    }
    if (as === 'APIGroupDiscoveryList' && p.get('g') === 'apidiscovery.k8s.io' && p.get('v') === 'v2') {
      result.aggregatedDiscovery = true;
      break;
    }
    if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && p.get('g') === 'meta.k8s.io') {
      result.partialMetadata = true;
      break;
    }
  }
  return result;
}
