import { messages, kinds, type FieldSpec, type MessageSpec } from './messages.ts';
import { ProtobufDecodeError, readFields, readVarint, type WireValue } from './wire.ts';

export { ProtobufDecodeError };

/** Every Kubernetes protobuf body starts with these four bytes. */
const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const maxDepth = 64;

type Json = Record<string, unknown>;

function asInt(value: WireValue): number {
  if (value.wireType !== 0) throw new ProtobufDecodeError('proto: wrong wireType for integer field');
  // int32/int64 negative values arrive as 64-bit two's complement.
  return Number(BigInt.asIntN(64, value.value));
}

function asBytes(value: WireValue): Buffer {
  if (value.wireType !== 2) throw new ProtobufDecodeError('proto: wrong wireType for length-delimited field');
  return value.value;
}

function timeToRfc3339(buf: Buffer): string | null {
  let seconds = 0;
  for (const f of readFields(buf)) if (f.field === 1) seconds = asInt(f);
  if (seconds === 0) return null;
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function scalar(type: string, value: WireValue, depth: number): unknown {
  switch (type) {
    case 'string':
      return asBytes(value).toString('utf8');
    case 'bytes':
      return asBytes(value).toString('base64');
    case 'int':
      return asInt(value);
    case 'bool':
      return asInt(value) !== 0;
    case 'quantity': {
      let text = '';
      for (const f of readFields(asBytes(value))) if (f.field === 1) text = asBytes(f).toString('utf8');
      return text;
    }
    case 'time':
      return timeToRfc3339(asBytes(value));
    case 'intorstring': {
      let kind = 0;
      let intVal = 0;
      let strVal = '';
      for (const f of readFields(asBytes(value))) {
        if (f.field === 1) kind = asInt(f);
        else if (f.field === 2) intVal = asInt(f);
        else if (f.field === 3) strVal = asBytes(f).toString('utf8');
      }
      return kind === 1 ? strVal : intVal;
    }
    default: {
      const spec = messages[type];
      if (!spec) throw new ProtobufDecodeError(`no protobuf definition for ${type}`);
      return decodeMessage(asBytes(value), spec, depth + 1);
    }
  }
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false || value === null;
}

/** Decodes a message into JSON the way Go's json tags (omitempty) would print it. */
function decodeMessage(buf: Buffer, spec: MessageSpec, depth: number): Json {
  if (depth > maxDepth) throw new ProtobufDecodeError('proto: message nested too deeply');
  const out: Json = {};
  for (const value of readFields(buf)) {
    const fieldSpec: FieldSpec | undefined = spec[value.field];
    if (!fieldSpec) continue; // unknown fields are skipped, as proto decoders do
    const [name, type, ...flags] = fieldSpec;
    if (flags.includes('map')) {
      let key = '';
      let entryValue: unknown = type === 'string' || type === 'bytes' || type === 'quantity' ? '' : {};
      for (const f of readFields(asBytes(value))) {
        if (f.field === 1) key = asBytes(f).toString('utf8');
        else if (f.field === 2) entryValue = scalar(type, f, depth);
      }
      if (type === 'ExtraValue') entryValue = (entryValue as Json).items ?? [];
      ((out[name] ??= {}) as Json)[key] = entryValue;
    } else if (flags.includes('repeated')) {
      // Packed repeated integers arrive as one length-delimited field.
      if (type === 'int' && value.wireType === 2) {
        const list = (out[name] ??= []) as unknown[];
        for (let offset = 0; offset < value.value.length;) {
          const [n, next] = readVarint(value.value, offset);
          list.push(Number(BigInt.asIntN(64, n)));
          offset = next;
        }
      } else {
        ((out[name] ??= []) as unknown[]).push(scalar(type, value, depth));
      }
    } else if (flags.includes('inline')) {
      Object.assign(out, scalar(type, value, depth) as Json);
    } else {
      const decoded = scalar(type, value, depth);
      if (isZero(decoded) && !flags.includes('pointer')) continue;
      if (decoded === null) continue;
      if (type === 'Empty') continue;
      out[name] = decoded;
    }
  }
  return out;
}

/**
 * Decodes a request body in Kubernetes' protobuf envelope (magic + runtime.Unknown)
 * into the JSON object the same request would have carried as application/json.
 */
export function decodeProtobufObject(body: Buffer): Json {
  if (body.length < magic.length || !body.subarray(0, 4).equals(magic)) {
    throw new ProtobufDecodeError(
      'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  for (const f of readFields(body.subarray(4))) {
    if (f.field === 1) {
      for (const t of readFields(asBytes(f))) {
        if (t.field === 1) apiVersion = asBytes(t).toString('utf8');
        else if (t.field === 2) kind = asBytes(t).toString('utf8');
      }
    } else if (f.field === 2) raw = asBytes(f);
  }
  if (!kind) throw new ProtobufDecodeError("Object 'Kind' is missing in protobuf envelope");
  const messageName = kinds[`${apiVersion}/${kind}`];
  if (!messageName)
    throw new ProtobufDecodeError(`no kind "${kind}" is registered for the protobuf version "${apiVersion}"`);
  const object = decodeMessage(raw ?? Buffer.alloc(0), messages[messageName]!, 0);
  return { apiVersion, kind, ...object, metadata: (object.metadata as Json | undefined) ?? {} };
}
