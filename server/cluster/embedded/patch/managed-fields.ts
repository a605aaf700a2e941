import type { KubeObject, ManagedFieldsEntry } from '../storage/types.ts';
import { itemIdentity, listMeta } from './merge-keys.ts';
import { describePath, fieldSetOf, fromFieldsV1, pathFromKey, removeAt, toFieldsV1, valueAt } from './field-set.ts';

type Obj = Record<string, unknown>;

export interface ApplyConflict {
  manager: string;
  apiVersion: string;
  path: string;
}

export class ApplyConflictError extends Error {
  readonly conflicts: ApplyConflict[];
  constructor(conflicts: ApplyConflict[]) {
    super(conflictMessage(conflicts));
    this.conflicts = conflicts;
  }
}

/** "Apply failed with 1 conflict: conflict with "x" using apps/v1: .spec.replicas" */
export function conflictMessage(conflicts: ApplyConflict[]): string {
  const byManager = new Map<string, ApplyConflict[]>();
  for (const c of conflicts)
    byManager.set(`${c.manager}\u0000${c.apiVersion}`, [
      ...(byManager.get(`${c.manager}\u0000${c.apiVersion}`) ?? []),
      c,
    ]);
  const parts = [...byManager.values()].map((list) => {
    const { manager, apiVersion } = list[0]!;
    if (list.length === 1) return `conflict with "${manager}" using ${apiVersion}: ${list[0]!.path}`;
    return `conflicts with "${manager}" using ${apiVersion}:\n${list.map((c) => `- ${c.path}`).join('\n')}`;
  });
  const n = conflicts.length;
  return `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${parts.join('\n')}`;
}

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Merges an applied configuration into the live object: maps and keyed lists merge, the rest replaces. */
export function mergeApplied(live: unknown, applied: unknown, structured: boolean, fieldName = ''): unknown {
  if (isObject(applied)) {
    const result: Obj = isObject(live) ? structuredClone(live) : {};
    for (const [k, v] of Object.entries(applied)) result[k] = mergeApplied(result[k], v, structured, k);
    return result;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const meta = listMeta(fieldName, [...applied, ...live], structured);
    if (meta === 'set') {
      const result = [...live];
      for (const item of applied)
        if (!result.some((v) => JSON.stringify(v) === JSON.stringify(item))) result.push(item);
      return result;
    }
    if (meta && applied.every(isObject) && live.every(isObject)) {
      const result: unknown[] = structuredClone(live);
      for (const item of applied) {
        const index = result.findIndex((l) => itemIdentity(l, meta) === itemIdentity(item, meta));
        if (index >= 0) result[index] = mergeApplied(result[index], item, structured);
        else result.push(structuredClone(item));
      }
      return result;
    }
  }
  return structuredClone(applied);
}

interface Owner {
  entry: ManagedFieldsEntry;
  set: Set<string>;
}

function owners(object: KubeObject): Owner[] {
  return (object.metadata.managedFields ?? []).map((entry) => ({ entry, set: fromFieldsV1(entry.fieldsV1) }));
}

function store(object: KubeObject, list: Owner[]): void {
  const kept = list.filter((o) => o.set.size > 0);
  if (kept.length === 0) delete object.metadata.managedFields;
  else object.metadata.managedFields = kept.map((o) => ({ ...o.entry, fieldsV1: toFieldsV1(o.set) }));
}

function upsert(
  list: Owner[],
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  subresource: string | undefined,
): Owner {
  let owner = list.find(
    (o) =>
      o.entry.manager === manager &&
      o.entry.operation === operation &&
      (o.entry.subresource ?? '') === (subresource ?? ''),
  );
  if (!owner) {
    const entry: ManagedFieldsEntry = {
      manager,
      operation,
      apiVersion,
      time: '',
      fieldsType: 'FieldsV1',
      fieldsV1: {},
    };
    if (subresource) entry.subresource = subresource;
    owner = { entry, set: new Set() };
    list.push(owner);
  }
  owner.entry.apiVersion = apiVersion;
  owner.entry.time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return owner;
}

/**
 * Server-side apply: returns the new object with managedFields updated, or throws
 * ApplyConflictError when another manager owns a field the configuration changes.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  manager: string,
  force: boolean,
  structured: boolean,
): KubeObject {
  const base: KubeObject = live
    ? structuredClone(live)
    : { apiVersion: applied.apiVersion, kind: applied.kind, metadata: {} };
  const list = owners(base);
  const appliedSet = fieldSetOf(applied, structured);
  const conflicts: ApplyConflict[] = [];
  for (const key of appliedSet) {
    const path = pathFromKey(key);
    const liveValue = valueAt(base, path, structured);
    if (liveValue === undefined) continue;
    const appliedValue = valueAt(applied, path, structured);
    // Only leaves conflict: a map or keyed list item both sides have is co-owned, and its
    // fields are compared one by one (structured-merge-diff's Compare).
    if (isObject(liveValue) && isObject(appliedValue)) continue;
    if (JSON.stringify(liveValue) === JSON.stringify(appliedValue)) continue;
    for (const other of list) {
      if (other.entry.manager === manager && other.entry.operation === 'Apply') continue;
      if (other.set.has(key))
        conflicts.push({ manager: other.entry.manager, apiVersion: other.entry.apiVersion, path: describePath(key) });
    }
  }
  if (conflicts.length && !force) throw new ApplyConflictError(conflicts);

  const appliedMeta = applied.metadata;
  const merged = mergeApplied(
    base,
    { ...applied, metadata: { ...appliedMeta, managedFields: undefined } },
    structured,
  ) as KubeObject;
  delete (merged.metadata as Obj).managedFields;

  const mine = upsert(list, manager, 'Apply', applied.apiVersion, undefined);
  // Fields this manager applied before but no longer does are removed unless someone else owns them.
  for (const key of mine.set) {
    if (appliedSet.has(key)) continue;
    const ownedElsewhere = list.some((o) => o !== mine && o.set.has(key));
    if (!ownedElsewhere) removeAt(merged as unknown as Obj, pathFromKey(key), structured);
  }
  mine.set = appliedSet;
  if (force) {
    for (const other of list) if (other !== mine) for (const key of appliedSet) other.set.delete(key);
  }
  merged.metadata.managedFields = live?.metadata.managedFields;
  store(merged, list);
  return merged;
}

/** Records an Update operation: the manager takes ownership of every field it changed. */
export function recordUpdate(
  old: KubeObject | undefined,
  updated: KubeObject,
  manager: string,
  subresource: string | undefined,
  structured: boolean,
): void {
  const list = owners(updated.metadata.managedFields ? updated : (old ?? updated));
  const before = old ? fieldSetOf(stripMeta(old), structured) : new Set<string>();
  const after = fieldSetOf(stripMeta(updated), structured);
  const changed = new Set<string>();
  for (const key of after) {
    if (!before.has(key)) changed.add(key);
    else if (
      JSON.stringify(valueAt(old, pathFromKey(key), structured)) !==
      JSON.stringify(valueAt(updated, pathFromKey(key), structured))
    )
      changed.add(key);
  }
  for (const owner of list) for (const key of [...owner.set]) if (!after.has(key)) owner.set.delete(key);
  if (changed.size > 0) {
    for (const owner of list) for (const key of changed) owner.set.delete(key);
    const mine = upsert(list, manager, 'Update', updated.apiVersion, subresource);
    for (const key of changed) mine.set.add(key);
  }
  store(updated, list);
}

function stripMeta(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  delete copy.metadata.managedFields;
  delete copy.status;
  return copy;
}
