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

function keyOf(resource: string, namespace: string, name: string): string {
  return `${resource}\u0000${namespace}\u0000${name}`;
}

/**
 * The versioned object store of one cluster: every write bumps a single
 * resourceVersion counter (as etcd's revision does) and is published to watchers.
 * Objects handed in and out are deep-copied so callers cannot mutate stored state.
 */
export class Store {
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private revision: number;

  constructor(initialRevision = 1) {
    this.revision = initialRevision;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch may start from. */
  get oldestWatchableVersion(): number {
    return this.history[0] ? this.history[0].resourceVersion - 1 : this.revision;
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    const found = this.objects.get(keyOf(resource, namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  /** Objects of one resource, optionally in one namespace, sorted by namespace then name. */
  list(resource: string, namespace?: string): KubeObject[] {
    const prefix = namespace === undefined ? `${resource}\u0000` : `${resource}\u0000${namespace}\u0000`;
    const found: KubeObject[] = [];
    for (const [key, value] of this.objects) {
      if (key.startsWith(prefix)) found.push(value);
    }
    found.sort(
      (a, b) =>
        (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
        (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    );
    return found.map((o) => structuredClone(o));
  }

  /**
   * Like list, without copying: the objects are the stored ones and must not be changed.
   * For hot read-only paths (admission evaluating every policy on every request).
   */
  peek(resource: string, namespace?: string): readonly KubeObject[] {
    const prefix = namespace === undefined ? `${resource}\u0000` : `${resource}\u0000${namespace}\u0000`;
    const found: KubeObject[] = [];
    for (const [key, value] of this.objects) if (key.startsWith(prefix)) found.push(value);
    return found;
  }

  /** Every stored object of every resource (for persistence). */
  entries(): Array<{ resource: string; object: KubeObject }> {
    return [...this.objects.entries()].map(([key, object]) => ({
      resource: key.slice(0, key.indexOf('\u0000')),
      object: structuredClone(object),
    }));
  }

  /** Writes an object, stamping its new resourceVersion; returns the stored copy. */
  put(resource: string, object: KubeObject): KubeObject {
    const key = keyOf(resource, object.metadata.namespace ?? '', object.metadata.name ?? '');
    const previous = this.objects.get(key);
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    this.objects.set(key, stored);
    this.publish(
      previous
        ? { type: 'MODIFIED', resource, object: stored, previous, resourceVersion: this.revision }
        : { type: 'ADDED', resource, object: stored, resourceVersion: this.revision },
    );
    return structuredClone(stored);
  }

  delete(resource: string, namespace: string, name: string): KubeObject | undefined {
    const key = keyOf(resource, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) return undefined;
    this.objects.delete(key);
    const removed = structuredClone(existing);
    removed.metadata.resourceVersion = String(++this.revision);
    this.publish({ type: 'DELETED', resource, object: removed, resourceVersion: this.revision });
    return structuredClone(removed);
  }

  /** Loads objects without events (restoring a persisted cluster). */
  restore(revision: number, items: Array<{ resource: string; object: KubeObject }>): void {
    for (const { resource, object } of items) {
      this.objects.set(keyOf(resource, object.metadata.namespace ?? '', object.metadata.name ?? ''), object);
    }
    this.revision = Math.max(this.revision, revision);
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
