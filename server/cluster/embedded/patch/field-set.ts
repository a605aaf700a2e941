import { itemIdentity, listMeta } from './merge-keys.ts';

/**
 * Sets of field paths, the unit of ownership in server-side apply. A path is a list of
 * elements in FieldsV1 notation: "f:spec", "k:{\"name\":\"nginx\"}", "v:\"finalizer\"".
 */
export type FieldPath = string[];
type Obj = Record<string, unknown>;

const sep = '\u0001';
export const pathKey = (path: FieldPath) => path.join(sep);
export const pathFromKey = (key: string): FieldPath => (key === '' ? [] : key.split(sep));

/** Fields that identify an object and are never owned. */
const unowned = new Set(['f:apiVersion', 'f:kind']);
const unownedMeta = new Set([
  'f:name',
  'f:namespace',
  'f:uid',
  'f:resourceVersion',
  'f:generation',
  'f:creationTimestamp',
  'f:managedFields',
  'f:selfLink',
  'f:deletionTimestamp',
  'f:generateName',
]);

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function keyElement(item: Obj, keys: string[]): string {
  const key: Obj = {};
  for (const k of keys) {
    if (item[k] !== undefined) key[k] = item[k];
    else if (k === 'protocol') key[k] = 'TCP';
  }
  return `k:${JSON.stringify(key)}`;
}

/** Every owned path of an object: leaves, plus "." markers for list items and maps. */
export function fieldSetOf(object: unknown, structured: boolean): Set<string> {
  const set = new Set<string>();
  walk(object, [], set, structured, '');
  return set;
}

function walk(value: unknown, path: FieldPath, set: Set<string>, structured: boolean, fieldName: string): void {
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (path.length > 0 && entries.length === 0) set.add(pathKey(path));
    for (const [k, v] of entries) {
      const el = `f:${k}`;
      if (path.length === 0 && unowned.has(el)) continue;
      if (path.length === 1 && path[0] === 'f:metadata' && unownedMeta.has(el)) continue;
      walk(v, [...path, el], set, structured, k);
    }
    return;
  }
  if (Array.isArray(value)) {
    const meta = listMeta(fieldName, value, structured);
    if (meta === 'set') {
      for (const item of value) set.add(pathKey([...path, `v:${JSON.stringify(item)}`]));
      return;
    }
    if (meta && value.every(isObject)) {
      for (const item of value) {
        const itemPath = [...path, keyElement(item as Obj, meta.keys)];
        set.add(pathKey([...itemPath, '.']));
        walk(item, itemPath, set, structured, '');
      }
      return;
    }
  }
  set.add(pathKey(path));
}

/** Looks a path up in an object; undefined when absent. */
export function valueAt(object: unknown, path: FieldPath, structured: boolean): unknown {
  let current: unknown = object;
  let fieldName = '';
  for (const el of path) {
    if (el === '.') return current;
    if (el.startsWith('f:')) {
      if (!isObject(current)) return undefined;
      fieldName = el.slice(2);
      current = current[fieldName];
    } else if (el.startsWith('k:')) {
      if (!Array.isArray(current)) return undefined;
      const key = JSON.parse(el.slice(2)) as Obj;
      const meta = listMeta(fieldName, current, structured);
      if (!meta || meta === 'set') return undefined;
      const id = itemIdentity(key, meta);
      current = current.find((item) => itemIdentity(item, meta) === id);
    } else if (el.startsWith('v:')) {
      if (!Array.isArray(current)) return undefined;
      const wanted = el.slice(2);
      return current.some((item) => JSON.stringify(item) === wanted) ? JSON.parse(wanted) : undefined;
    }
  }
  return current;
}

/** Removes the field at a path (used when an applier stops owning it). */
export function removeAt(object: Obj, path: FieldPath, structured: boolean): void {
  const last = path[path.length - 1];
  if (last === undefined) return;
  const parentPath = last === '.' ? path.slice(0, -2) : path.slice(0, -1);
  const target = last === '.' ? path[path.length - 2]! : last;
  const parent = parentPath.length === 0 ? object : valueAt(object, parentPath, structured);
  if (target.startsWith('f:') && isObject(parent)) {
    delete parent[target.slice(2)];
  } else if ((target.startsWith('k:') || target.startsWith('v:')) && Array.isArray(parent)) {
    const fieldName =
      [...parentPath]
        .reverse()
        .find((e) => e.startsWith('f:'))
        ?.slice(2) ?? '';
    const index = parent.findIndex((item) => {
      if (target.startsWith('v:')) return JSON.stringify(item) === target.slice(2);
      const meta = listMeta(fieldName, parent, structured);
      return meta && meta !== 'set' && itemIdentity(item, meta) === itemIdentity(JSON.parse(target.slice(2)), meta);
    });
    if (index >= 0) parent.splice(index, 1);
  }
}

/** FieldsV1 JSON ({"f:spec":{"f:replicas":{}}}) from a set of paths. */
export function toFieldsV1(set: Set<string>): Obj {
  const root: Obj = {};
  for (const key of [...set].sort()) {
    let node = root;
    for (const el of pathFromKey(key)) node = (node[el] ??= {}) as Obj;
  }
  return root;
}

export function fromFieldsV1(fields: unknown): Set<string> {
  const set = new Set<string>();
  const visit = (node: unknown, path: FieldPath) => {
    const entries = isObject(node) ? Object.entries(node) : [];
    if (entries.length === 0) {
      if (path.length) set.add(pathKey(path));
      return;
    }
    for (const [el, child] of entries) visit(child, [...path, el]);
  };
  visit(fields, []);
  return set;
}

/** ".spec.containers[name=\"nginx\"].image", as conflict messages print paths. */
export function describePath(key: string): string {
  let text = '';
  for (const el of pathFromKey(key)) {
    if (el === '.') continue;
    if (el.startsWith('f:')) text += `.${el.slice(2)}`;
    else if (el.startsWith('k:')) {
      const k = JSON.parse(el.slice(2)) as Obj;
      text += `[${Object.entries(k)
        .map(([name, v]) => `${name}=${JSON.stringify(v)}`)
        .join(',')}]`;
    } else if (el.startsWith('v:')) text += `[=${el.slice(2)}]`;
  }
  return text;
}
