import { stringify as toYaml } from 'yaml';
import type { ResourceCatalog } from '../../registry/catalog.ts';
import { builtinComponents, modelClassFor, type Schema } from '../../registry/openapi/builtin-schemas.ts';
import { componentNameFor, groupVersionDocument } from './documents.ts';

/** The media type kubectl asks /openapi/v2 for: gnostic's openapi_v2.Document as protobuf. */
export const openapiV2Protobuf = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** What kube-openapi answers with: the same type spelled without "@", which Go's mime parser rejects. */
export const openapiV2ProtobufResponse = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function varint(n: number | bigint): Buffer {
  const bytes: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

/** Field writers of the protobuf wire format (tags: varint 0, fixed64 1, length-delimited 2). */
class Writer {
  private readonly parts: Buffer[] = [];
  bytes(field: number, value: Buffer): this {
    this.parts.push(varint((field << 3) | 2), varint(value.length), value);
    return this;
  }
  string(field: number, value: unknown): this {
    if (typeof value === 'string' && value !== '') this.bytes(field, Buffer.from(value));
    return this;
  }
  int(field: number, value: unknown): this {
    if (typeof value === 'number' && Number.isInteger(value)) this.parts.push(varint(field << 3), varint(value));
    return this;
  }
  bool(field: number, value: unknown): this {
    if (value === true) this.parts.push(varint(field << 3), varint(1));
    return this;
  }
  double(field: number, value: unknown): this {
    if (typeof value !== 'number') return this;
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.parts.push(varint((field << 3) | 1), b);
    return this;
  }
  message(field: number, value: Writer): this {
    return this.bytes(field, value.done());
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** openapi_v2.Any: the value as YAML text, as gnostic carries extensions and enums. */
function anyYaml(value: unknown): Writer {
  return new Writer().string(2, toYaml(value));
}

/** One JSON schema as openapi_v2.Schema (field numbers of gnostic's OpenAPIv2.proto). */
function encodeSchema(schema: Schema): Writer {
  const s = schema as Record<string, unknown>;
  const w = new Writer();
  if (typeof s.$ref === 'string') w.string(1, s.$ref.replace('#/components/schemas/', '#/definitions/'));
  w.string(2, s.format).string(3, s.title).string(4, s.description);
  w.double(7, s.maximum).bool(8, s.exclusiveMaximum).double(9, s.minimum).bool(10, s.exclusiveMinimum);
  w.int(11, s.maxLength).int(12, s.minLength).string(13, s.pattern);
  w.int(14, s.maxItems).int(15, s.minItems).bool(16, s.uniqueItems);
  w.int(17, s.maxProperties).int(18, s.minProperties);
  for (const name of (s.required as string[] | undefined) ?? []) w.string(19, name);
  for (const value of (s.enum as unknown[] | undefined) ?? []) w.message(20, anyYaml(value));
  if (s.additionalProperties !== undefined) {
    const item = new Writer();
    if (typeof s.additionalProperties === 'boolean') item.bool(2, s.additionalProperties);
    else item.message(1, encodeSchema(s.additionalProperties as Schema));
    w.message(21, item);
  }
  if (s.type !== undefined) {
    const type = new Writer();
    for (const t of Array.isArray(s.type) ? s.type : [s.type]) type.string(1, t);
    w.message(22, type);
  }
  if (s.items && typeof s.items === 'object') w.message(23, new Writer().message(1, encodeSchema(s.items as Schema)));
  for (const part of (s.allOf as Schema[] | undefined) ?? []) w.message(24, encodeSchema(part));
  if (s.properties && typeof s.properties === 'object') {
    const props = new Writer();
    for (const [name, value] of Object.entries(s.properties as Record<string, Schema>)) {
      props.message(1, new Writer().string(1, name).message(2, encodeSchema(value)));
    }
    w.message(25, props);
  }
  w.bool(27, s.readOnly);
  for (const [key, value] of Object.entries(s)) {
    if (key.startsWith('x-')) w.message(31, new Writer().string(1, key).message(2, anyYaml(value)));
  }
  return w;
}

/** Every definition the cluster serves, with the GVK extensions kubectl indexes them by. */
export function swaggerDefinitions(catalog: ResourceCatalog): Record<string, Schema> {
  const defs = catalog.all();
  const roots = ['V1ObjectMeta', 'V1Status', 'V1DeleteOptions', 'V1Scale'];
  for (const def of defs) if (!def.crd) roots.push(modelClassFor(def.group, def.version, def.kind));
  const definitions: Record<string, Schema> = structuredClone(builtinComponents(roots));
  for (const { group, versions } of catalog.groups()) {
    for (const version of versions) {
      // CRD schemas and the GVK extensions come from the v3 documents, which already carry them.
      const doc = groupVersionDocument(catalog, group, version, '');
      const schemas = ((doc?.components as { schemas?: Record<string, Schema> } | undefined)?.schemas ?? {}) as Record<
        string,
        Schema
      >;
      for (const def of catalog.inGroupVersion(group, version)) {
        const name = componentNameFor(def);
        if (schemas[name]) definitions[name] = schemas[name];
      }
    }
  }
  return definitions;
}

/** GET /openapi/v2 as protobuf: swagger "2.0", info, and the definitions. */
export function swaggerProtobuf(catalog: ResourceCatalog, serverVersion: string): Buffer {
  const definitions = new Writer();
  for (const [name, schema] of Object.entries(swaggerDefinitions(catalog))) {
    definitions.message(1, new Writer().string(1, name).message(2, encodeSchema(schema)));
  }
  return new Writer()
    .string(1, '2.0')
    .message(2, new Writer().string(1, 'Kubernetes').string(2, serverVersion))
    .message(8, new Writer())
    .message(9, definitions)
    .done();
}

/** Encoded documents, shared by every cluster that serves the same resources. */
const cache = new Map<string, { protobuf: Buffer; json: string }>();

/** The /openapi/v2 document for the catalog as it is now, built once per set of resources. */
export function swaggerDocument(catalog: ResourceCatalog, serverVersion: string): { protobuf: Buffer; json: string } {
  const key = `${serverVersion}|${catalog
    .all()
    .map((d) => (d.crd ? `${d.crd.uid}@${d.crd.resourceVersion}` : `${d.group}/${d.version}/${d.plural}`))
    .join(',')}`;
  let doc = cache.get(key);
  if (!doc) {
    doc = { protobuf: swaggerProtobuf(catalog, serverVersion), json: swaggerJson(catalog, serverVersion) };
    if (cache.size >= 50) cache.delete(cache.keys().next().value!);
    cache.set(key, doc);
  }
  return doc;
}

/** The same document as JSON, for clients that do not ask for protobuf. */
export function swaggerJson(catalog: ResourceCatalog, serverVersion: string): string {
  const text = JSON.stringify({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths: {},
    definitions: swaggerDefinitions(catalog),
  });
  return text.replaceAll('#/components/schemas/', '#/definitions/');
}
