/**
 * The API server decodes request bodies into Go structs: a label, annotation or ConfigMap /
 * Secret data value that is not a string fails there (encoding/json's UnmarshalTypeError,
 * wrapped by apiserver's handlers as "<Kind> in version ... cannot be handled as ..."), before
 * any validation. The first mismatch in document order is the one reported, named by the
 * innermost Go struct and the JSON path from the root (array indices left out), as Go does.
 */

type Obj = Record<string, unknown>;

export interface StringMap {
  /** The Go struct holding the field. */
  struct: string;
  /** Go's name of the value type: string, or []uint8 for base64 byte fields. */
  valueType: 'string' | '[]uint8';
}

const metaMaps: Record<string, StringMap> = {
  labels: { struct: 'ObjectMeta', valueType: 'string' },
  annotations: { struct: 'ObjectMeta', valueType: 'string' },
};

const topMaps: Record<string, Record<string, StringMap>> = {
  ConfigMap: {
    data: { struct: 'ConfigMap', valueType: 'string' },
    binaryData: { struct: 'ConfigMap', valueType: '[]uint8' },
  },
  Secret: {
    data: { struct: 'Secret', valueType: '[]uint8' },
    stringData: { struct: 'Secret', valueType: 'string' },
  },
};

/** Go's word for a JSON value in "cannot unmarshal <value> into ...". */
function jsonValue(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'boolean') return 'bool';
  return typeof value; // 'number' or 'string'
}

/** One value of a string map that Go cannot decode, with where it sits. */
export interface StringMapViolation {
  /** Object keys from the root; array indices as numbers. */
  path: (string | number)[];
  value: unknown;
  map: StringMap;
  /** The map itself is not an object (rather than one of its values not a string). */
  whole: boolean;
}

function checkMap(value: unknown, map: StringMap, path: (string | number)[], out: StringMapViolation[]): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    out.push({ path, value, map, whole: true });
    return;
  }
  for (const [key, item] of Object.entries(value as Obj)) {
    if (item === null || typeof item === 'string') continue;
    out.push({ path: [...path, key], value: item, map, whole: false });
  }
}

/** Object metadata anywhere in a built-in object (metadata, spec.template.metadata, ...). */
function walk(
  value: unknown,
  path: (string | number)[],
  top: Record<string, StringMap>,
  out: StringMapViolation[],
): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, [...path, index], {}, out));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Obj)) {
    const childPath = [...path, key];
    const map = top[key];
    if (map) {
      checkMap(child, map, childPath, out);
      continue;
    }
    if (key === 'metadata' && child !== null && typeof child === 'object' && !Array.isArray(child)) {
      for (const [metaKey, metaValue] of Object.entries(child as Obj)) {
        const metaMap = metaMaps[metaKey];
        if (metaMap) checkMap(metaValue, metaMap, [...childPath, metaKey], out);
      }
      continue;
    }
    walk(child, childPath, {}, out);
  }
}

/** Every non-string label, annotation or data value (and non-object map), in document order. */
export function stringMapViolations(kind: string, object: unknown): StringMapViolation[] {
  const out: StringMapViolation[] = [];
  walk(object, [], topMaps[kind] ?? {}, out);
  return out;
}

/** The decoding error of the first non-string label, annotation or data value, if any. */
export function stringMapTypeError(kind: string, object: unknown): string | undefined {
  const first = stringMapViolations(kind, object)[0];
  if (!first) return undefined;
  // encoding/json names the map field by its JSON path from the root, array indices left out.
  const mapPath = (first.whole ? first.path : first.path.slice(0, -1)).filter((p) => typeof p === 'string');
  const field = `Go struct field ${first.map.struct}.${mapPath.join('.')}`;
  const type = first.whole ? `map[string]${first.map.valueType}` : first.map.valueType;
  return `json: cannot unmarshal ${jsonValue(first.value)} into ${field} of type ${type}`;
}

/** Go decodes a null map value as the empty string (the key stays). */
export function nullsToEmpty(kind: string, object: Obj): void {
  const fill = (map: unknown) => {
    if (map === null || typeof map !== 'object' || Array.isArray(map)) return;
    for (const [key, item] of Object.entries(map as Obj)) if (item === null) (map as Obj)[key] = '';
  };
  const metadata = object.metadata as Obj | undefined;
  fill(metadata?.labels);
  fill(metadata?.annotations);
  if (kind === 'ConfigMap') fill(object.data);
  if (kind === 'Secret') fill(object.stringData);
}
