import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';
import { errors } from '../../api/status.ts';
import type { Store } from '../../storage/store.ts';
import type { KubeObject } from '../../storage/types.ts';
import type { PodView } from './checks.ts';
import { describeFailures, evaluatePod } from './evaluate.ts';
import { display, policyFromLabels } from './policy.ts';

type Obj = Record<string, unknown>;

/** Exemptions, as in the PodSecurity admission configuration. */
export interface PodSecurityExemptions {
  usernames?: string[];
  namespaces?: string[];
  runtimeClasses?: string[];
}

/** Where a workload keeps its pod template. */
const templatePaths: Record<string, string[]> = {
  'replicasets.apps': ['spec', 'template'],
  'deployments.apps': ['spec', 'template'],
  'daemonsets.apps': ['spec', 'template'],
  'statefulsets.apps': ['spec', 'template'],
  'jobs.batch': ['spec', 'template'],
  'cronjobs.batch': ['spec', 'jobTemplate', 'spec', 'template'],
  podtemplates: ['template'],
  replicationcontrollers: ['spec', 'template'],
};

function dig(object: unknown, path: string[]): unknown {
  return path.reduce<unknown>((o, key) => (o && typeof o === 'object' ? (o as Obj)[key] : undefined), object);
}

function podView(template: unknown): PodView | undefined {
  if (!template || typeof template !== 'object') return undefined;
  const t = template as Obj;
  return { metadata: (t.metadata ?? {}) as PodView['metadata'], spec: (t.spec ?? {}) as Obj };
}

const seccompContainerAnnotation = 'container.seccomp.security.alpha.kubernetes.io/';

/**
 * Whether a pod update is re-checked, as pod-security-admission's isSignificantPodUpdate
 * decides: a container or init container added or removed, an image changed (or the
 * container's legacy seccomp annotation), an ephemeral container added or its image changed.
 * Other updates (labels, annotations, status) are always allowed.
 */
function significantPodUpdate(pod: KubeObject, old: KubeObject | undefined): boolean {
  if (!old) return true;
  const spec = (pod.spec ?? {}) as Obj;
  const oldSpec = (old.spec ?? {}) as Obj;
  const annotations = pod.metadata.annotations ?? {};
  const oldAnnotations = old.metadata.annotations ?? {};
  const list = (s: Obj, key: string) => (Array.isArray(s[key]) ? (s[key] as Obj[]) : []);
  const changed = (c: Obj, o: Obj) => {
    const key = `${seccompContainerAnnotation}${String(c.name ?? '')}`;
    return c.image !== o.image || annotations[key] !== oldAnnotations[key];
  };
  for (const key of ['containers', 'initContainers']) {
    const now = list(spec, key);
    const before = list(oldSpec, key);
    if (now.length !== before.length) return true;
    if (now.some((c, i) => changed(c, before[i]!))) return true;
  }
  const oldEphemeral = list(oldSpec, 'ephemeralContainers');
  return list(spec, 'ephemeralContainers').some((c) => {
    const o = oldEphemeral.find((e) => e.name === c.name);
    return !o || changed(c, o);
  });
}

/**
 * Pod Security Admission: enforce on Pods, warnings for Pods and workload templates,
 * checks of namespace labels (and warnings for existing pods when they tighten).
 */
export class PodSecurityAdmission implements AdmissionPlugin {
  readonly name = 'PodSecurity';
  private readonly store: Store;
  private readonly exemptions: PodSecurityExemptions;

  constructor(store: Store, exemptions: PodSecurityExemptions = {}) {
    this.store = store;
    this.exemptions = exemptions;
  }

  validate(attrs: AdmissionAttributes): void {
    const def = attrs.resource;
    const resource = def.group ? `${def.plural}.${def.group}` : def.plural;
    if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
    if (resource === 'namespaces' && !attrs.subresource) return this.validateNamespace(attrs);
    if (!attrs.object) return;
    if (this.exemptions.usernames?.includes(attrs.user.username)) return;
    if (this.exemptions.namespaces?.includes(attrs.namespace)) return;
    const namespace = this.store.get('namespaces', '', attrs.namespace);
    const { policy } = policyFromLabels(namespace?.metadata.labels ?? {});
    if (resource === 'pods') {
      if (attrs.subresource && attrs.subresource !== 'ephemeralcontainers') return;
      const pod = podView(attrs.object)!;
      if (this.exemptions.runtimeClasses?.includes(String(pod.spec.runtimeClassName ?? ''))) return;
      if (attrs.operation === 'UPDATE' && !significantPodUpdate(attrs.object, attrs.oldObject)) return;
      const enforced = evaluatePod(pod, policy.enforce);
      if (enforced.length) {
        throw errors.forbidden(
          { group: '', resource: 'pods' },
          attrs.name,
          `violates PodSecurity "${display(policy.enforce)}": ${describeFailures(enforced)}`,
        );
      }
      const warned = evaluatePod(pod, policy.warn);
      if (warned.length)
        attrs.warnings.push(`would violate PodSecurity "${display(policy.warn)}": ${describeFailures(warned)}`);
      return;
    }
    const path = templatePaths[resource];
    if (!path || attrs.subresource) return;
    const template = podView(dig(attrs.object, path));
    if (!template) return;
    // Unlike pods, workloads are checked on every update, template changed or not
    // (ValidatePodController has no such short-circuit): a label change warns again.
    const warned = evaluatePod(template, policy.warn);
    if (warned.length)
      attrs.warnings.push(`would violate PodSecurity "${display(policy.warn)}": ${describeFailures(warned)}`);
  }

  private validateNamespace(attrs: AdmissionAttributes): void {
    const labels = attrs.object?.metadata.labels ?? {};
    const { policy, errors: labelErrors } = policyFromLabels(labels);
    if (labelErrors.length) throw errors.invalid('', 'Namespace', attrs.name, labelErrors);
    if (attrs.operation !== 'UPDATE' || this.exemptions.namespaces?.includes(attrs.name)) return;
    const before = policyFromLabels(attrs.oldObject?.metadata.labels ?? {}).policy.enforce;
    if (before.level === policy.enforce.level && before.version === policy.enforce.version) return;
    if (policy.enforce.level === 'privileged') return;
    // Tightening enforce: warn about pods that would no longer be admitted.
    const byResult = new Map<string, string[]>();
    for (const pod of this.store.list('pods', attrs.name)) {
      const failures = evaluatePod(podView(pod)!, policy.enforce);
      if (!failures.length) continue;
      const key = failures.map((f) => f.reason).join(', ');
      byResult.set(key, [...(byResult.get(key) ?? []), pod.metadata.name ?? '']);
    }
    if (byResult.size === 0) return;
    attrs.warnings.push(
      `existing pods in namespace "${attrs.name}" violate the new PodSecurity enforce level "${display(policy.enforce)}"`,
    );
    for (const [reasons, pods] of byResult) {
      const sorted = [...pods].sort();
      const others = sorted.length - 1;
      const who = others === 0 ? sorted[0] : `${sorted[0]} (and ${others} other ${others === 1 ? 'pod' : 'pods'})`;
      attrs.warnings.push(`${who}: ${reasons}`);
    }
  }
}
