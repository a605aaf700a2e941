/**
 * The API server decodes request bodies into Go structs: a label, annotation or ConfigMap /
 * Secret data value that is not a string fails there (encoding/json's UnmarshalTypeError,
 * wrapped by apiserver's handlers as "<Kind> in version ... cannot be handled as ..."), before
 * any validation. The first mismatch in document order is the one reported, named by the
 * innermost Go struct and the JSON path from the root (array indices left out), as Go does.
 */

type Obj = Record<string, unknown>;

interface StringMap {
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

function checkMap(value: unknown, map: StringMap, path: string): string | undefined {
  const field = `Go struct field ${map.struct}.${path}`;
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    return `json: cannot unmarshal ${jsonValue(value)} into ${field} of type map[string]${map.valueType}`;
  for (const item of Object.values(value as Obj)) {
    if (item === null || typeof item === 'string') continue;
    return `json: cannot unmarshal ${jsonValue(item)} into ${field} of type ${map.valueType}`;
  }
  return undefined;
}

/** Object metadata anywhere in a built-in object (metadata, spec.template.metadata, ...). */
function walk(value: unknown, path: string, top: Record<string, StringMap>): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = walk(item, path, {});
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value as Obj)) {
    const childPath = path ? `${path}.${key}` : key;
    const map = top[key];
    if (map) {
      const found = checkMap(child, map, childPath);
      if (found) return found;
      continue;
    }
    if (key === 'metadata' && child !== null && typeof child === 'object' && !Array.isArray(child)) {
      for (const [metaKey, metaValue] of Object.entries(child as Obj)) {
        const metaMap = metaMaps[metaKey];
        const found = metaMap ? checkMap(metaValue, metaMap, `${childPath}.${metaKey}`) : undefined;
        if (found) return found;
      }
      continue;
    }
    const found = walk(child, childPath, {});
    if (found) return found;
  }
  return undefined;
}

/** The decoding error of the first non-string label, annotation or data value, if any. */
export function stringMapTypeError(kind: string, object: unknown): string | undefined {
  return walk(object, '', topMaps[kind] ?? {});
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
