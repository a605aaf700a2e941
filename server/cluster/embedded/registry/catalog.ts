import type { KubeObject } from '../storage/types.ts';
import { resourcesFromCrd } from './custom-resources.ts';
import { admissionRegistrationResources } from './resources/admissionregistration.ts';
import { customresourcedefinitions } from './resources/apiextensions.ts';
import { discoveryResources } from './resources/discovery.ts';
import { certificatesigningrequests } from './resources/certificates.ts';
import { flowcontrolResources } from './resources/flowcontrol.ts';
import { policyResources } from './resources/policy.ts';
import { schedulingResources } from './resources/scheduling.ts';
import { webhookResources } from './resources/webhooks.ts';
import { coreResources } from './resources/core.ts';
import { networkingResources } from './resources/networking.ts';
import { rbacResources } from './resources/rbac.ts';
import { reviewResources } from './resources/reviews.ts';
import { workloadResources } from './resources/workloads.ts';
import { groupVersion, type ResourceDef } from './types.ts';

export const builtinResources: ResourceDef[] = [
  ...coreResources,
  ...workloadResources,
  ...networkingResources,
  ...discoveryResources,
  ...rbacResources,
  ...admissionRegistrationResources,
  ...webhookResources,
  certificatesigningrequests,
  ...policyResources,
  ...schedulingResources,
  ...flowcontrolResources,
  customresourcedefinitions,
  ...reviewResources,
];

export interface ApiGroupVersions {
  group: string;
  /** Versions in preference order. */
  versions: string[];
}

/** Every resource the cluster serves: the built-ins plus those of established CRDs. */
export class ResourceCatalog {
  private readonly custom = new Map<string, ResourceDef[]>();
  /** Bumped whenever the set of served resources changes (discovery and openapi hashes). */
  generation = 0;

  all(): ResourceDef[] {
    return [...builtinResources, ...[...this.custom.values()].flat()];
  }

  find(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.all().find((d) => d.group === group && d.version === version && d.plural === plural);
  }

  findKind(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.all().find((d) => groupVersion(d) === apiVersion && d.kind === kind);
  }

  /** Resources of one group and version. */
  inGroupVersion(group: string, version: string): ResourceDef[] {
    return this.all().filter((d) => d.group === group && d.version === version);
  }

  groups(): ApiGroupVersions[] {
    const map = new Map<string, string[]>();
    for (const def of this.all()) {
      const versions = map.get(def.group) ?? [];
      if (!versions.includes(def.version)) versions.push(def.version);
      map.set(def.group, versions);
    }
    return [...map.entries()].map(([group, versions]) => ({ group, versions: versions.sort(compareVersions) }));
  }

  /** Serves (or stops serving) the resources of a CRD. */
  setCustomResourceDefinition(crd: KubeObject): void {
    const name = crd.metadata.name ?? '';
    if (crd.metadata.deletionTimestamp) this.custom.delete(name);
    else this.custom.set(name, resourcesFromCrd(crd));
    this.generation++;
  }

  removeCustomResourceDefinition(name: string): void {
    if (this.custom.delete(name)) this.generation++;
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1 > v1alpha1). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return { ok: false, major: 0, stage: 0, minor: 0 };
    const stage = m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3;
    return { ok: true, major: Number(m[1]), stage, minor: Number(m[3] ?? 0) };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa.ok !== pb.ok) return pa.ok ? -1 : 1;
  if (!pa.ok) return a.localeCompare(b);
  return pb.stage - pa.stage || pb.major - pa.major || pb.minor - pa.minor;
}
