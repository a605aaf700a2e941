import { compareQuantities, formatQuantity, type Quantity } from '../../api/quantity.ts';
import { addLists, resourceList, type ResourceList } from '../../api/resource-lists.ts';
import { errors } from '../../api/status.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';
import type { Store } from '../../storage/store.ts';

type Obj = Record<string, unknown>;

const annotation = 'kubernetes.io/limit-ranger';

function items(store: Store, namespace: string, type: string): Obj[] {
  return store
    .list('limitranges', namespace)
    .flatMap((lr) => ((lr.spec as Obj | undefined)?.limits as Obj[] | undefined) ?? [])
    .filter((item) => item.type === type);
}

function containersOf(spec: Obj): Array<{ c: Obj; kind: string }> {
  return [
    ...((spec.initContainers as Obj[] | undefined) ?? []).map((c) => ({ c, kind: 'init container' })),
    ...((spec.containers as Obj[] | undefined) ?? []).map((c) => ({ c, kind: 'container' })),
  ];
}

/** The min/max/ratio errors for one set of requests and limits (plugin/pkg/admission/limitranger). */
function checkItem(item: Obj, scope: string, requests: ResourceList, limits: ResourceList): string[] {
  const errs: string[] = [];
  const q = (x: Quantity) => formatQuantity(x);
  for (const [resource, min] of resourceList(item.min)) {
    const request = requests.get(resource);
    if (!request) errs.push(`minimum ${resource} usage per ${scope} is ${q(min)}.  No request is specified`);
    else if (compareQuantities(request, min) < 0)
      errs.push(`minimum ${resource} usage per ${scope} is ${q(min)}, but request is ${q(request)}`);
  }
  for (const [resource, max] of resourceList(item.max)) {
    const limit = limits.get(resource);
    if (!limit) errs.push(`maximum ${resource} usage per ${scope} is ${q(max)}.  No limit is specified`);
    else if (compareQuantities(limit, max) > 0)
      errs.push(`maximum ${resource} usage per ${scope} is ${q(max)}, but limit is ${q(limit)}`);
  }
  for (const [resource, ratio] of resourceList(item.maxLimitRequestRatio)) {
    const limit = limits.get(resource);
    const request = requests.get(resource);
    if (!limit || !request || request.nanos === 0n) continue;
    const actual = Number(limit.nanos) / Number(request.nanos);
    if (actual > Number(ratio.nanos) / 1e9)
      errs.push(
        `${resource} max limit to request ratio per ${scope} is ${q(ratio)}, but provided ratio is ${actual.toFixed(6)}`,
      );
  }
  return errs;
}

/**
 * LimitRanger: containers without requests or limits get their namespace's LimitRange
 * defaults (noted in the kubernetes.io/limit-ranger annotation), then min, max and
 * limit/request ratios are enforced per Container and per Pod.
 */
export class LimitRangerAdmission implements AdmissionPlugin {
  readonly name = 'LimitRanger';
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  private applies(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && !a.subresource && a.resource.group === '' && a.resource.plural === 'pods';
  }

  mutate(a: AdmissionAttributes): void {
    if (!this.applies(a) || !a.object) return;
    const defaults = items(this.store, a.namespace, 'Container');
    if (!defaults.length) return;
    const spec = (a.object.spec ?? {}) as Obj;
    const notes: string[] = [];
    for (const { c, kind } of containersOf(spec)) {
      const resources = (c.resources ??= {}) as Obj;
      const set = (field: 'requests' | 'limits', source: 'defaultRequest' | 'default') => {
        const names: string[] = [];
        for (const item of defaults) {
          for (const [k, v] of Object.entries((item[source] as Obj | undefined) ?? {})) {
            const list = (resources[field] ??= {}) as Obj;
            if (list[k] !== undefined) continue;
            list[k] = v;
            names.push(k);
          }
        }
        if (!Object.keys((resources[field] as Obj | undefined) ?? {}).length) delete resources[field];
        return names.sort();
      };
      const limitNames = set('limits', 'default');
      const requestNames = set('requests', 'defaultRequest');
      if (requestNames.length) notes.push(`${requestNames.join(', ')} request for ${kind} ${String(c.name)}`);
      if (limitNames.length) notes.push(`${limitNames.join(', ')} limit for ${kind} ${String(c.name)}`);
    }
    if (notes.length) {
      a.object.metadata.annotations = {
        ...(a.object.metadata.annotations ?? {}),
        [annotation]: `LimitRanger plugin set: ${notes.join('; ')}`,
      };
    }
  }

  validate(a: AdmissionAttributes): void {
    if (!this.applies(a) || !a.object) return;
    const spec = (a.object.spec ?? {}) as Obj;
    const errs: string[] = [];
    const containerItems = items(this.store, a.namespace, 'Container');
    let podRequests: ResourceList = new Map();
    let podLimits: ResourceList = new Map();
    for (const { c } of containersOf(spec)) {
      const resources = (c.resources ?? {}) as Obj;
      const requests = resourceList(resources.requests);
      const limits = resourceList(resources.limits);
      for (const item of containerItems) errs.push(...checkItem(item, 'Container', requests, limits));
      podRequests = addLists(podRequests, requests);
      podLimits = addLists(podLimits, limits);
    }
    for (const item of items(this.store, a.namespace, 'Pod'))
      errs.push(...checkItem(item, 'Pod', podRequests, podLimits));
    if (errs.length) {
      throw errors.forbidden(
        { group: '', resource: 'pods' },
        a.name,
        errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`,
      );
    }
  }
}
