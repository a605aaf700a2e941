import type { Store } from '../../storage/store.ts';
import { quotaExceeded, type ClusterQuota } from '../../storage/quota.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';

/** Workloads whose spec.replicas the quota bounds. */
const scalable = new Set(['deployments.apps', 'replicasets.apps', 'statefulsets.apps', 'replicationcontrollers']);

/**
 * The lab server's per-cluster quota on pods and replicas, checked like the ResourceQuota
 * admission plugin: the request is refused with "exceeded quota" before it is stored.
 * (Object counts and bytes are enforced by the store itself, for every writer.)
 */
export class LabQuotaAdmission implements AdmissionPlugin {
  readonly name = 'LabQuota';
  private readonly store: Store;
  private readonly quota: ClusterQuota;

  constructor(store: Store, quota: ClusterQuota) {
    this.store = store;
    this.quota = quota;
  }

  validate(attrs: AdmissionAttributes): void {
    const resource = attrs.resource.group ? `${attrs.resource.plural}.${attrs.resource.group}` : attrs.resource.plural;
    const gr = { group: attrs.resource.group, resource: attrs.resource.plural };
    if (attrs.operation === 'CREATE' && resource === 'pods' && !attrs.subresource) {
      const used = this.store.countOf('pods');
      if (used >= this.quota.maxPods) throw quotaExceeded(gr, attrs.name, 'pods', 1, used, this.quota.maxPods);
    }
    if ((attrs.operation === 'CREATE' || attrs.operation === 'UPDATE') && scalable.has(resource)) {
      const replicas = Number((attrs.object?.spec as { replicas?: unknown } | undefined)?.replicas ?? 1);
      if (replicas > this.quota.maxReplicas)
        throw quotaExceeded(gr, attrs.name, 'replicas', replicas, 0, this.quota.maxReplicas);
    }
  }
}
