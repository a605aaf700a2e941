import { randomBytes } from 'node:crypto';
import type { UserInfo } from '../authentication/user.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import { rfc3339 } from '../api/time.ts';
import type { Registry } from '../registry/generic.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { Store } from '../storage/store.ts';
import type { KubeObject, OwnerReference } from '../storage/types.ts';

/** What controllers share: the registry, the catalog and a way to record Events. */
export class ControllerContext {
  readonly store: Store;
  readonly registry: Registry;
  readonly catalog: ResourceCatalog;
  readonly nodeName: string;

  constructor(store: Store, registry: Registry, catalog: ResourceCatalog, nodeName: string) {
    this.store = store;
    this.registry = registry;
    this.catalog = catalog;
    this.nodeName = nodeName;
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
    const found = this.store
      .peek('events', namespace)
      .find(
        (e) =>
          (e.involvedObject as OwnerReference | undefined)?.uid === object.metadata.uid &&
          e.reason === reason &&
          e.message === message,
      );
    const now = rfc3339();
    if (found) {
      const existing = structuredClone(found);
      existing.count = Number(existing.count ?? 1) + 1;
      existing.lastTimestamp = now;
      this.registry.writeObject(events, existing);
      return;
    }
    const name = `${object.metadata.name}.${randomBytes(8).toString('hex')}`;
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
