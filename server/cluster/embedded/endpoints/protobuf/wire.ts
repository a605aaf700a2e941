/** Protocol buffers wire format: just enough to walk Kubernetes' gogo-protobuf messages. */

export class ProtobufDecodeError extends Error {}

export type WireValue =
  | { field: number; wireType: 0; value: bigint }
  | { field: number; wireType: 1; value: Buffer }
  | { field: number; wireType: 2; value: Buffer }
  | { field: number; wireType: 5; value: Buffer };

export function readVarint(buf: Buffer, offset: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = offset; i < buf.length; i++) {
    const byte = buf[i]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, i + 1];
    shift += 7n;
    if (shift > 63n) throw new ProtobufDecodeError('proto: integer overflow');
  }
  throw new ProtobufDecodeError('unexpected EOF');
}

/** Splits one message into its fields, in order. */
export function readFields(buf: Buffer): WireValue[] {
  const fields: WireValue[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const [tag, afterTag] = readVarint(buf, offset);
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (field <= 0) throw new ProtobufDecodeError(`proto: illegal tag ${field} (wire type ${wireType})`);
    offset = afterTag;
    switch (wireType) {
      case 0: {
        const [value, next] = readVarint(buf, offset);
        fields.push({ field, wireType, value });
        offset = next;
        break;
      }
      case 1:
      case 5: {
        const size = wireType === 1 ? 8 : 4;
        if (offset + size > buf.length) throw new ProtobufDecodeError('unexpected EOF');
        fields.push({ field, wireType, value: buf.subarray(offset, offset + size) });
        offset += size;
        break;
      }
      case 2: {
        const [length, next] = readVarint(buf, offset);
        const end = next + Number(length);
        if (length < 0n || end > buf.length) throw new ProtobufDecodeError('unexpected EOF');
        fields.push({ field, wireType, value: buf.subarray(next, end) });
        offset = end;
        break;
      }
      default:
        throw new ProtobufDecodeError(`proto: illegal wireType ${wireType}`);
    }
  }
  return fields;
}
