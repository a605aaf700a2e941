import { maxEvents, objectTooLarge, quotaExceeded, type ClusterQuota } from './quota.ts';
import type { KubeObject, WatchEvent, WatchEventType } from './types.ts';

/** Where an object lives: resource (plural, with group) plus namespace and name. */
export interface ObjectKey {
  /** "pods", "deployments.apps", "clusterpolicies.kyverno.io" */
  resource: string;
  namespace: string;
  name: string;
}

export interface StoredEvent {
  type: Exclude<WatchEventType, 'BOOKMARK' | 'ERROR'>;
  resource: string;
  object: KubeObject;
  /** The object before a MODIFIED event, so watchers can tell when it left or entered their selection. */
  previous?: KubeObject;
  resourceVersion: number;
}

export type Watcher = (event: StoredEvent) => void;

export class ResourceVersionTooOldError extends Error {
  readonly requested: number;
  readonly oldest: number;
  constructor(requested: number, oldest: number) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.requested = requested;
    this.oldest = oldest;
  }
}

/** How many past events a watch can resume from, like etcd's compaction window. */
const historyLimit = 2000;

type Bucket = Map<string, KubeObject>;

/** Objects of one resource, by namespace ('' for cluster-scoped) and name. */
type ResourceIndex = Map<string, Bucket>;

function byNamespaceThenName(a: KubeObject, b: KubeObject): number {
  const an = a.metadata.namespace ?? '';
  const bn = b.metadata.namespace ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  const a1 = a.metadata.name ?? '';
  const b1 = b.metadata.name ?? '';
  return a1 < b1 ? -1 : a1 > b1 ? 1 : 0;
}

/** Bytes an object takes, counted as its JSON (what etcd would store, near enough). */
function sizeOf(object: KubeObject): number {
  return Buffer.byteLength(JSON.stringify(object));
}

/**
 * `next` with every part equal to the same part of `prev` replaced by prev's (same keys in the
 * same order, same values): a new version shares what did not change with the one before it,
 * which stays in the watch history. Stored objects are never changed in place, so this is
 * safe; `next` must be a fresh copy (it is changed here).
 */
function shareUnchanged(next: unknown, prev: unknown): unknown {
  if (next === prev || typeof next !== 'object' || next === null) return next;
  if (typeof prev !== 'object' || prev === null || Array.isArray(next) !== Array.isArray(prev)) return next;
  const a = next as Record<string, unknown>;
  const b = prev as Record<string, unknown>;
  const keys = Object.keys(a);
  const prevKeys = Object.keys(b);
  let same = keys.length === prevKeys.length;
  for (const [i, key] of keys.entries()) {
    if (!Object.hasOwn(b, key)) {
      same = false;
      continue;
    }
    const shared = shareUnchanged(a[key], b[key]);
    a[key] = shared;
    if (shared !== b[key] || prevKeys[i] !== key) same = false;
  }
  return same ? prev : next;
}

/**
 * A deep copy of a stored object (plain JSON-like values) that keeps its strings: strings
 * are immutable, and structuredClone would give every copy its own (most stored strings
 * repeat: namespaces, kinds, timestamps, the constants controllers write).
 */
function copyObject<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyObject) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)
    return structuredClone(value);
  // fromEntries defines own properties, so a "__proto__" key stays data, as in JSON.
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, copyObject(v)])) as T;
}

/**
 * The versioned object store of one cluster: every write bumps a single
 * resourceVersion counter (as etcd's revision does) and is published to watchers.
 * Objects handed in and out are deep-copied so callers cannot mutate stored state.
 * Objects are indexed by resource and namespace, so listing costs what it returns.
 */
export class Store {
  private readonly resources = new Map<string, ResourceIndex>();
  private readonly sizes = new Map<KubeObject, number>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private revision: number;
  /** Events by age (namespace, name), for expiring the oldest; may hold already deleted ones. */
  private eventQueue: Array<[string, string]> = [];
  private eventHead = 0;
  private objectCount = 0;
  private eventCount = 0;
  private byteCount = 0;
  private quota?: ClusterQuota;

  constructor(initialRevision = 1) {
    this.revision = initialRevision;
  }

  /** Limits every later write (objects, bytes, object size). */
  setQuota(quota: ClusterQuota): void {
    this.quota = quota;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  /** Objects and bytes stored now (Events counted apart). */
  get usage(): { objects: number; events: number; bytes: number } {
    return { objects: this.objectCount, events: this.eventCount, bytes: this.byteCount };
  }

  /** The oldest resourceVersion a watch may start from. */
  get oldestWatchableVersion(): number {
    return this.history[0] ? this.history[0].resourceVersion - 1 : this.revision;
  }

  private bucket(resource: string, namespace: string, create: true): Bucket;
  private bucket(resource: string, namespace: string, create?: false): Bucket | undefined;
  private bucket(resource: string, namespace: string, create = false): Bucket | undefined {
    let index = this.resources.get(resource);
    if (!index) {
      if (!create) return undefined;
      index = new Map();
      this.resources.set(resource, index);
    }
    let bucket = index.get(namespace);
    if (!bucket && create) {
      bucket = new Map();
      index.set(namespace, bucket);
    }
    return bucket;
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    const found = this.bucket(resource, namespace)?.get(name);
    return found ? structuredClone(found) : undefined;
  }

  /** One stored object, not copied: it must not be changed (hot read-only paths, like peek). */
  peekObject(resource: string, namespace: string, name: string): KubeObject | undefined {
    return this.bucket(resource, namespace)?.get(name);
  }

  /** Objects of one resource, optionally in one namespace, sorted by namespace then name. */
  list(resource: string, namespace?: string): KubeObject[] {
    return [...this.peek(resource, namespace)].sort(byNamespaceThenName).map((o) => structuredClone(o));
  }

  /**
   * Like list, without copying or sorting (objects come in the order they were first stored):
   * the objects are the stored ones and must not be changed. For hot read-only paths
   * (admission, controllers deciding what to change).
   */
  peek(resource: string, namespace?: string): readonly KubeObject[] {
    const index = this.resources.get(resource);
    if (!index) return [];
    const found: KubeObject[] = [];
    if (namespace !== undefined) {
      for (const object of index.get(namespace)?.values() ?? []) found.push(object);
    } else {
      for (const bucket of index.values()) for (const object of bucket.values()) found.push(object);
    }
    return found;
  }

  /** How many objects of a resource are stored (all namespaces). */
  countOf(resource: string): number {
    let n = 0;
    for (const bucket of this.resources.get(resource)?.values() ?? []) n += bucket.size;
    return n;
  }

  /** Every stored object of every resource, not copied (read-only, for persistence and the GC). */
  *all(): Iterable<{ resource: string; object: KubeObject }> {
    for (const [resource, index] of this.resources)
      for (const bucket of index.values()) for (const object of bucket.values()) yield { resource, object };
  }

  /** Every stored object of every resource, copied (for persistence). */
  entries(): Array<{ resource: string; object: KubeObject }> {
    return [...this.all()].map(({ resource, object }) => ({ resource, object: structuredClone(object) }));
  }

  /** Refuses a write that would break the quota (before anything changes). */
  private checkQuota(resource: string, name: string, existing: KubeObject | undefined, size: number): void {
    const quota = this.quota;
    if (!quota) return;
    if (size > quota.maxObjectBytes) throw objectTooLarge();
    const group = resource.includes('.') ? resource.slice(resource.indexOf('.') + 1) : '';
    const plural = resource.includes('.') ? resource.slice(0, resource.indexOf('.')) : resource;
    const gr = { group, resource: plural };
    const grown = size - (existing ? (this.sizes.get(existing) ?? 0) : 0);
    if (grown > 0 && this.byteCount + grown > quota.maxBytes)
      throw quotaExceeded(gr, name, 'storage-bytes', size, this.byteCount, quota.maxBytes);
    if (!existing && resource !== 'events' && this.objectCount >= quota.maxObjects)
      throw quotaExceeded(gr, name, 'objects', 1, this.objectCount, quota.maxObjects);
  }

  private count(resource: string, object: KubeObject, sign: 1 | -1, size?: number): void {
    const bytes = size ?? this.sizes.get(object) ?? 0;
    // Only sizes counted for a quota are kept (a missing one is 0): most clusters have none.
    if (sign === -1) this.sizes.delete(object);
    else if (bytes > 0) this.sizes.set(object, bytes);
    this.byteCount += sign * bytes;
    if (resource === 'events') this.eventCount += sign;
    else this.objectCount += sign;
  }

  /** Writes an object, stamping its new resourceVersion; returns the stored copy. */
  put(resource: string, object: KubeObject): KubeObject {
    const namespace = object.metadata.namespace ?? '';
    const name = object.metadata.name ?? '';
    const bucket = this.bucket(resource, namespace, true);
    const existing = bucket.get(name);
    const stored = copyObject(object);
    stored.metadata.resourceVersion = String(this.revision + 1);
    if (existing) shareUnchanged(stored, existing);
    const size = this.quota ? sizeOf(stored) : 0;
    this.checkQuota(resource, name, existing, size);
    if (resource === 'events' && !existing) {
      if (this.eventCount >= maxEvents) this.expireOldestEvent();
      this.eventQueue.push([namespace, name]);
    }
    ++this.revision;
    if (existing) this.count(resource, existing, -1);
    bucket.set(name, stored);
    this.count(resource, stored, 1, size);
    this.publish(
      existing
        ? { type: 'MODIFIED', resource, object: stored, previous: existing, resourceVersion: this.revision }
        : { type: 'ADDED', resource, object: stored, resourceVersion: this.revision },
    );
    return structuredClone(stored);
  }

  /** Events expire (kube-apiserver's --event-ttl); here the oldest goes when the cap is reached. */
  private expireOldestEvent(): void {
    while (this.eventHead < this.eventQueue.length) {
      const [namespace, name] = this.eventQueue[this.eventHead++]!;
      if (this.bucket('events', namespace)?.has(name)) {
        this.delete('events', namespace, name);
        break;
      }
    }
    // Drop the consumed head now and then, so the queue does not grow without end.
    if (this.eventHead > maxEvents) {
      this.eventQueue = this.eventQueue.slice(this.eventHead);
      this.eventHead = 0;
    }
  }

  delete(resource: string, namespace: string, name: string): KubeObject | undefined {
    const bucket = this.bucket(resource, namespace);
    const existing = bucket?.get(name);
    if (!bucket || !existing) return undefined;
    bucket.delete(name);
    this.count(resource, existing, -1);
    // The last version with the deletion's resourceVersion, sharing the rest with it.
    const removed: KubeObject = {
      ...existing,
      metadata: { ...existing.metadata, resourceVersion: String(++this.revision) },
    };
    this.publish({ type: 'DELETED', resource, object: removed, resourceVersion: this.revision });
    return structuredClone(removed);
  }

  /**
   * Adds the objects that are missing, each with the next resourceVersion, without events
   * (bootstrap objects written before anything watches). Takes ownership of the objects.
   */
  seed(items: Array<{ resource: string; object: KubeObject }>): void {
    for (const { resource, object } of items) {
      const bucket = this.bucket(resource, object.metadata.namespace ?? '', true);
      const name = object.metadata.name ?? '';
      if (bucket.has(name)) continue;
      object.metadata.resourceVersion = String(++this.revision);
      bucket.set(name, object);
      this.count(resource, object, 1, this.quota ? sizeOf(object) : 0);
    }
  }

  /** Loads objects without events (restoring a persisted cluster). */
  restore(revision: number, items: Array<{ resource: string; object: KubeObject }>): void {
    for (const { resource, object } of items) {
      const bucket = this.bucket(resource, object.metadata.namespace ?? '', true);
      const existing = bucket.get(object.metadata.name ?? '');
      if (existing) this.count(resource, existing, -1);
      bucket.set(object.metadata.name ?? '', object);
      this.count(resource, object, 1, sizeOf(object));
    }
    this.revision = Math.max(this.revision, revision);
  }

  /** Applies a journaled change without publishing it (replaying after a crash). */
  replay(resource: string, change: { object: KubeObject } | { namespace: string; name: string }, revision: number) {
    if ('object' in change) this.restore(revision, [{ resource, object: change.object }]);
    else {
      const bucket = this.bucket(resource, change.namespace);
      const existing = bucket?.get(change.name);
      if (bucket && existing) {
        bucket.delete(change.name);
        this.count(resource, existing, -1);
      }
      this.revision = Math.max(this.revision, revision);
    }
  }

  /** Events after `sinceVersion`; throws when they were compacted away. */
  eventsSince(sinceVersion: number): StoredEvent[] {
    if (sinceVersion < this.oldestWatchableVersion) {
      throw new ResourceVersionTooOldError(sinceVersion, this.oldestWatchableVersion);
    }
    return this.history.filter((event) => event.resourceVersion > sinceVersion);
  }

  subscribe(watcher: Watcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  private publish(event: StoredEvent): void {
    this.history.push(event);
    if (this.history.length > historyLimit) this.history.splice(0, this.history.length - historyLimit);
    for (const watcher of this.watchers) watcher(event);
  }
}

export function toWatchEvent(event: StoredEvent): WatchEvent {
  return { type: event.type, object: structuredClone(event.object) };
}
