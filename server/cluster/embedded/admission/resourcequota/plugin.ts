import { addQuantities, compareQuantities } from '../../api/quantity.ts';
import { printList, resourceList, type ResourceList } from '../../api/resource-lists.ts';
import { errors } from '../../api/status.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';
import { storageName } from '../../registry/types.ts';
import type { Store } from '../../storage/store.ts';
import { namespaceUsage, objectUsage } from './usage.ts';

type Obj = Record<string, unknown>;

/** Compute resources a container must state once a quota limits them (pods.go). */
const computeResources = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

/**
 * ResourceQuota admission (k8s.io/apiserver/pkg/admission/plugin/resourcequota): a create that
 * would take a namespace over any quota's hard limits is refused with kube's
 * "exceeded quota" text, and pods that leave a limited compute resource unset with "failed quota".
 */
export class ResourceQuotaAdmission implements AdmissionPlugin {
  readonly name = 'ResourceQuota';
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  validate(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource || !a.object || !a.resource.namespaced) return;
    const quotas = this.store.list('resourcequotas', a.namespace);
    if (!quotas.length) return;
    const resource = storageName(a.resource);
    const requested = objectUsage(resource, a.object);
    const gr = { group: a.resource.group, resource: a.resource.plural };
    for (const quota of [...quotas].sort((x, y) => (x.metadata.name ?? '').localeCompare(y.metadata.name ?? ''))) {
      const hard = resourceList((quota.spec as Obj | undefined)?.hard);
      if (resource === 'pods') {
        const missing = this.missingCompute(a.object.spec as Obj | undefined, [...hard.keys()]);
        if (missing)
          throw errors.forbidden(gr, a.name, `failed quota: ${quota.metadata.name}: must specify ${missing}`);
      }
      const relevant = [...hard.keys()].filter((k) => requested.has(k));
      if (!relevant.length) continue;
      const used = namespaceUsage(this.store, a.namespace, relevant);
      const exceeded = relevant.filter(
        (k) => compareQuantities(addQuantities(used.get(k)!, requested.get(k)!), hard.get(k)!) > 0,
      );
      if (!exceeded.length) continue;
      throw errors.forbidden(
        gr,
        a.name,
        `exceeded quota: ${quota.metadata.name}, requested: ${printList(requested, exceeded)}, used: ${printList(used as ResourceList, exceeded)}, limited: ${printList(hard, exceeded)}`,
      );
    }
  }

  /** "limits.cpu for: app; requests.memory for: app,side", or undefined when nothing is missing. */
  private missingCompute(spec: Obj | undefined, hard: string[]): string | undefined {
    const required = hard.filter((k) => computeResources.includes(k));
    if (!required.length) return undefined;
    const missing = new Map<string, string[]>();
    for (const c of (spec?.containers as Obj[] | undefined) ?? []) {
      const r = (c.resources ?? {}) as Obj;
      const requests = (r.requests ?? {}) as Obj;
      const limits = (r.limits ?? {}) as Obj;
      for (const k of required) {
        const [kind, name] = k.includes('.') ? (k.split('.') as [string, string]) : ['requests', k];
        const set = kind === 'limits' ? limits : requests;
        if (set[name] !== undefined) continue;
        missing.set(k, [...(missing.get(k) ?? []), String(c.name)]);
      }
    }
    if (!missing.size) return undefined;
    return [...missing.keys()]
      .sort()
      .map((k) => `${k} for: ${[...new Set(missing.get(k))].sort().join(',')}`)
      .join('; ');
  }
}
