import { randomBytes } from 'node:crypto';
import type { UserInfo } from '../authentication/user.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import { rfc3339 } from '../api/time.ts';
import type { Registry } from '../registry/generic.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { Store } from '../storage/store.ts';
import type { KubeObject, OwnerReference } from '../storage/types.ts';

/**
 * Pod creations per second a cluster's controllers make, after a burst. kube-controller-manager
 * is bounded the same way (--kube-api-qps 20, --kube-api-burst 30); here it keeps one learner's
 * 3000-replica Deployment from taking the event loop every other cluster on the server shares.
 */
export const podCreationsPerSecond = 100;
export const podCreationBurst = 100;

/** What controllers share: the registry, the catalog and a way to record Events. */
export class ControllerContext {
  readonly store: Store;
  readonly registry: Registry;
  readonly catalog: ResourceCatalog;
  readonly nodeName: string;
  /** The Event each (object, reason, message) was last recorded as, so repeats aggregate without a scan. */
  private readonly eventNames = new Map<string, string>();
  private podTokens = podCreationBurst;
  private podTokensAt = performance.now();

  constructor(store: Store, registry: Registry, catalog: ResourceCatalog, nodeName: string) {
    this.store = store;
    this.registry = registry;
    this.catalog = catalog;
    this.nodeName = nodeName;
  }

  /** Waits for this cluster's turn to create a pod (token bucket: podCreationBurst, then podCreationsPerSecond). */
  async podCreationTurn(): Promise<void> {
    const now = performance.now();
    this.podTokens = Math.min(
      podCreationBurst,
      this.podTokens + ((now - this.podTokensAt) / 1000) * podCreationsPerSecond,
    );
    this.podTokensAt = now;
    if (this.podTokens < 1) {
      const waitMs = ((1 - this.podTokens) / podCreationsPerSecond) * 1000;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      this.podTokens = 1;
      this.podTokensAt = performance.now();
    }
    this.podTokens -= 1;
  }

  def(group: string, plural: string): ResourceDef {
    const def = this.catalog.all().find((d) => d.group === group && d.plural === plural && !d.crd);
    if (!def) throw new Error(`unknown resource ${plural}.${group}`);
    return def;
  }

  /** The identity a controller acts with (system:serviceaccount:kube-system:<name>). */
  user(controller: string): UserInfo {
    return {
      username: `system:serviceaccount:kube-system:${controller}`,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
    };
  }

  /** Records a core/v1 Event about an object, aggregating repeats like the event recorder. */
  event(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    try {
      this.recordEvent(object, type, reason, message, component);
    } catch {
      // Like the event recorder, a refused event (a full cluster) is dropped, never an error.
    }
  }

  private recordEvent(object: KubeObject, type: string, reason: string, message: string, component: string): void {
    const events = this.def('', 'events');
    const namespace = object.metadata.namespace || 'default';
    const key = `${namespace}\u0000${object.metadata.uid}\u0000${reason}\u0000${message}`;
    const known = this.eventNames.get(key);
    const stored = known === undefined ? undefined : this.store.peekObject('events', namespace, known);
    const found =
      stored &&
      (stored.involvedObject as OwnerReference | undefined)?.uid === object.metadata.uid &&
      stored.reason === reason &&
      stored.message === message
        ? stored
        : undefined;
    const now = rfc3339();
    if (found) {
      const existing = structuredClone(found);
      existing.count = Number(existing.count ?? 1) + 1;
      existing.lastTimestamp = now;
      this.registry.writeObject(events, existing);
      return;
    }
    const name = `${object.metadata.name}.${randomBytes(8).toString('hex')}`;
    // Events expire (the store keeps the newest); forget names now and then rather than track each.
    if (this.eventNames.size > 10_000) this.eventNames.clear();
    this.eventNames.set(key, name);
    this.registry.writeObject(events, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, uid: crypto.randomUUID(), creationTimestamp: now },
      involvedObject: {
        kind: object.kind,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
        uid: object.metadata.uid,
        apiVersion: object.apiVersion,
        resourceVersion: object.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    });
  }
}

let lastYield = performance.now();

/**
 * Lets other work run (every cluster of the server shares one event loop) once this
 * stretch of controller work has taken a few milliseconds; otherwise returns at once.
 */
export async function yieldToOthers(sliceMs = 5): Promise<void> {
  if (performance.now() - lastYield < sliceMs) return;
  await new Promise((resolve) => setImmediate(resolve));
  lastYield = performance.now();
}

export function ownerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function ownedBy(object: KubeObject, owner: KubeObject): boolean {
  return (object.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.controller);
}

export interface Controller {
  name: string;
  /** Resources ("pods", "deployments.apps") whose changes wake this controller. */
  watches: string[];
  /** Reconciles everything it owns; must be idempotent and cheap when nothing changed. */
  sync(): Promise<void> | void;
}
