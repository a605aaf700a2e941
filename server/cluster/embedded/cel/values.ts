/** JSON (what the API stores) to CEL values and back: CEL integers are bigint, JSON numbers are not. */

/** Deep-converts whole JSON numbers to bigint, as Kubernetes decodes integer fields for CEL. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Map)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toCel(v);
    return out;
  }
  return value;
}

/** A CEL result as plain JSON: bigint to number, Map to object, optional to its value or null. */
export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value && typeof value === 'object') {
    const tag = Object.prototype.toString.call(value);
    if (tag === '[object optional]') {
      const opt = value as { hasValue(): boolean; value(): unknown };
      return opt.hasValue() ? fromCel(opt.value()) : null;
    }
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return (value as { toJSON(): unknown }).toJSON();
    if (Object.getPrototypeOf(value) !== Object.prototype && typeof value.toString === 'function') return String(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCel(v)]));
  }
  return value;
}

/** How CEL prints a value in messages (cel-go's formatting of lists, maps and strings). */
export function celText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(celText).join(', ')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${celText(k)}: ${celText(v)}`).join(', ')}}`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${celText(v)}`)
      .join(', ')}}`;
  return String(value);
}
