import { itemIdentity, listMeta, type ListMeta } from './merge-keys.ts';

type Obj = Record<string, unknown>;

export class PatchError extends Error {}

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Strategic merge patch for built-in types, with the $patch, $retainKeys, $setElementOrder and $deleteFromPrimitiveList directives. */
export function applyStrategicMergePatch(original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw new PatchError('unable to find api field in struct for the patch');
  return mergeMap(isObject(original) ? original : {}, patch);
}

function mergeMap(original: Obj, patch: Obj): Obj | undefined {
  const directive = patch.$patch;
  if (directive === 'replace') {
    const copy = structuredClone(patch);
    delete copy.$patch;
    return copy;
  }
  if (directive === 'delete') return undefined;
  if (directive !== undefined && directive !== 'merge') {
    throw new PatchError(`Unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  }
  const result: Obj = structuredClone(original);
  if (Array.isArray(patch.$retainKeys)) {
    const retain = new Set(patch.$retainKeys as string[]);
    for (const key of Object.keys(result)) if (!retain.has(key)) delete result[key];
  }
  const orders: Array<[string, unknown[]]> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith('$setElementOrder/')) {
      orders.push([key.slice('$setElementOrder/'.length), value as unknown[]]);
      continue;
    }
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const remove = new Set((value as unknown[]).map((v) => JSON.stringify(v)));
      if (Array.isArray(result[field])) {
        result[field] = (result[field] as unknown[]).filter((v) => !remove.has(JSON.stringify(v)));
      }
      continue;
    }
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      const merged = mergeMap(isObject(result[key]) ? (result[key] as Obj) : {}, value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(key, Array.isArray(result[key]) ? (result[key] as unknown[]) : [], value);
    } else {
      result[key] = value;
    }
  }
  for (const [field, order] of orders) {
    if (Array.isArray(result[field])) result[field] = applyOrder(field, result[field] as unknown[], order);
  }
  return result;
}

function mergeList(field: string, original: unknown[], patch: unknown[]): unknown[] {
  const meta = listMeta(field, [...patch, ...original], true);
  if (meta === undefined) {
    // Atomic list; `$patch: replace` items are meaningless here, drop them.
    return structuredClone(patch.filter((item) => !(isObject(item) && item.$patch)));
  }
  if (meta === 'set') {
    const result = [...original];
    for (const item of patch) if (!result.some((v) => JSON.stringify(v) === JSON.stringify(item))) result.push(item);
    return result;
  }
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) {
    return structuredClone(patch.filter((item) => !(isObject(item) && item.$patch === 'replace')));
  }
  const result = structuredClone(original);
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`merging list ${field}: items must be objects`);
    const id = itemIdentity(item, meta);
    const index = result.findIndex((existing) => itemIdentity(existing, meta) === id);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      const merged = mergeMap(result[index] as Obj, item);
      if (merged === undefined) result.splice(index, 1);
      else result[index] = merged;
    } else {
      const copy = structuredClone(item);
      delete copy.$patch;
      result.push(copy);
    }
  }
  return result;
}

/** Orders a merged list by $setElementOrder; items it does not name keep their place after. */
function applyOrder(field: string, list: unknown[], order: unknown[]): unknown[] {
  const meta = listMeta(field, list, true);
  const idOf = (item: unknown) =>
    meta && meta !== 'set' ? itemIdentity(item, meta as ListMeta) : JSON.stringify(item);
  const rank = new Map(order.map((item, i) => [idOf(item), i]));
  const ordered = list.filter((item) => rank.has(idOf(item))).sort((a, b) => rank.get(idOf(a))! - rank.get(idOf(b))!);
  const rest = list.filter((item) => !rank.has(idOf(item)));
  return [...ordered, ...rest];
}
