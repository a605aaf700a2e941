import { parseQuantity, zeroQuantity } from '../../api/quantity.ts';
import { addLists, resourceList, type ResourceList } from '../../api/resource-lists.ts';
import type { Store } from '../../storage/store.ts';
import type { KubeObject } from '../../storage/types.ts';

type Obj = Record<string, unknown>;

/** Object counts quota knows by their short names (pkg/quota/v1/evaluator/core). */
const legacyCounts: Record<string, string> = {
  pods: 'pods',
  services: 'services',
  secrets: 'secrets',
  configmaps: 'configmaps',
  persistentvolumeclaims: 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

/** "count/deployments.apps", "count/pods": the object-count name of a stored resource. */
export function countName(storageResource: string): string {
  return `count/${storageResource}`;
}

function terminal(pod: KubeObject): boolean {
  const phase = (pod.status as Obj | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** requests.cpu, cpu, limits.memory...: what one pod's containers add up to (podComputeUsageHelper). */
export function podComputeUsage(pod: KubeObject): ResourceList {
  const spec = (pod.spec ?? {}) as Obj;
  let requests: ResourceList = new Map();
  let limits: ResourceList = new Map();
  for (const c of (spec.containers as Obj[] | undefined) ?? []) {
    const r = (c.resources ?? {}) as Obj;
    requests = addLists(requests, resourceList(r.requests));
    limits = addLists(limits, resourceList(r.limits));
  }
  // Init containers run one at a time: the pod needs the largest of them, if larger.
  for (const c of (spec.initContainers as Obj[] | undefined) ?? []) {
    const r = (c.resources ?? {}) as Obj;
    for (const [target, source] of [
      [requests, resourceList(r.requests)],
      [limits, resourceList(r.limits)],
    ] as const) {
      for (const [k, q] of source) if (!target.has(k) || target.get(k)!.nanos < q.nanos) target.set(k, q);
    }
  }
  const usage: ResourceList = new Map();
  for (const [k, q] of requests) {
    usage.set(k, q);
    usage.set(`requests.${k}`, q);
  }
  for (const [k, q] of limits) usage.set(`limits.${k}`, q);
  return usage;
}

/** What one object counts against quota: object counts plus, for pods and claims, resources. */
export function objectUsage(resource: string, object: KubeObject): ResourceList {
  const one = parseQuantity('1')!;
  const usage: ResourceList = new Map([[countName(resource), one]]);
  if (legacyCounts[resource]) usage.set(legacyCounts[resource], one);
  if (resource === 'pods') for (const [k, q] of podComputeUsage(object)) usage.set(k, q);
  if (resource === 'persistentvolumeclaims') {
    const requests = ((object.spec as Obj | undefined)?.resources as Obj | undefined)?.requests as Obj | undefined;
    const storage = parseQuantity(requests?.storage);
    if (storage) usage.set('requests.storage', storage);
  }
  if (resource === 'services') {
    const type = (object.spec as Obj | undefined)?.type;
    if (type === 'NodePort' || type === 'LoadBalancer') usage.set('services.nodeports', one);
    if (type === 'LoadBalancer') usage.set('services.loadbalancers', one);
  }
  return usage;
}

/** Current usage in a namespace of the resources a quota's hard list names. */
export function namespaceUsage(store: Store, namespace: string, hard: string[]): ResourceList {
  let used: ResourceList = new Map();
  const resources = new Set<string>(['pods']);
  for (const name of hard) {
    if (name.startsWith('count/')) resources.add(name.slice('count/'.length));
    else if (Object.values(legacyCounts).includes(name)) resources.add(name);
    else if (name.includes('storage')) resources.add('persistentvolumeclaims');
    else if (name.startsWith('services.')) resources.add('services');
  }
  for (const resource of resources) {
    for (const object of store.list(resource, namespace)) {
      if (resource === 'pods' && terminal(object)) continue;
      if (object.metadata.deletionTimestamp && resource === 'pods') continue;
      used = addLists(used, objectUsage(resource, object));
    }
  }
  const out: ResourceList = new Map();
  for (const name of hard) out.set(name, used.get(name) ?? zeroQuantity());
  return out;
}
