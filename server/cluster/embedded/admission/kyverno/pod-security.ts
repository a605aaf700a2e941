import { evaluatePodChecks } from '../podsecurity/evaluate.ts';
import type { Level } from '../podsecurity/checks.ts';

type Obj = Record<string, unknown>;

/** Pod Security Standards control names (as Kyverno's podSecurity.exclude names them) per check id. */
const controls: Record<string, string> = {
  hostNamespaces: 'Host Namespaces',
  privileged: 'Privileged Containers',
  capabilities_baseline: 'Capabilities',
  capabilities_restricted: 'Capabilities',
  hostPathVolumes: 'HostPath Volumes',
  hostPorts: 'Host Ports',
  appArmorProfile: 'AppArmor',
  seLinuxOptions: 'SELinux',
  procMount: '/proc Mount Type',
  seccompProfile_baseline: 'Seccomp',
  seccompProfile_restricted: 'Seccomp',
  sysctls: 'Sysctls',
  windowsHostProcess: 'HostProcess',
  restrictedVolumes: 'Volume Types',
  allowPrivilegeEscalation: 'Privilege Escalation',
  runAsNonRoot: 'Running as Non-root',
  runAsUser: 'Running as Non-root user',
  hostProbesAndHostLifecycle: 'Host Probes / Lifecycle Hooks',
};

export const controlNames = [...new Set(Object.values(controls))];

/** The pod template of a Pod or a pod controller, as Kyverno's getSpec reads it. */
function podOf(resource: Obj): { metadata: Obj; spec: Obj } | undefined {
  const kind = String(resource.kind);
  const spec = (resource.spec ?? {}) as Obj;
  if (kind === 'Pod') return { metadata: (resource.metadata ?? {}) as Obj, spec };
  if (['DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController'].includes(kind)) {
    const t = (spec.template ?? {}) as Obj;
    return { metadata: (t.metadata ?? {}) as Obj, spec: (t.spec ?? {}) as Obj };
  }
  if (kind === 'CronJob') {
    const t = ((((spec.jobTemplate ?? {}) as Obj).spec ?? {}) as Obj).template as Obj | undefined;
    return { metadata: (t?.metadata ?? {}) as Obj, spec: (t?.spec ?? {}) as Obj };
  }
  return undefined;
}

function imageMatches(pattern: string, image: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(image);
}

/**
 * validate.podSecurity: the Pod Security Standards at a level and version, with exclusions by
 * control (and images), evaluated by the same engine as Pod Security Admission.
 */
export function validatePodSecurity(
  ruleName: string,
  podSecurity: Obj,
  resource: Obj,
): { status: 'pass' | 'fail' | 'skip'; message: string } {
  const pod = podOf(resource);
  if (!pod) return { status: 'skip', message: 'not a pod or pod controller' };
  const level = String(podSecurity.level ?? 'baseline') as Level;
  const version = String(podSecurity.version ?? 'latest');
  let failures = evaluatePodChecks(
    { metadata: pod.metadata as { annotations?: Record<string, string> }, spec: pod.spec },
    { level, version },
  );
  const images = ['initContainers', 'containers', 'ephemeralContainers'].flatMap((k) =>
    ((pod.spec[k] as Obj[] | undefined) ?? []).map((c) => String(c.image ?? '')),
  );
  for (const exclude of (podSecurity.exclude as Obj[] | undefined) ?? []) {
    const control = String(exclude.controlName ?? '');
    const patterns = (exclude.images as string[] | undefined) ?? [];
    failures = failures.filter((f) => {
      if (controls[f.id] !== control) return true;
      if (patterns.length === 0) return false;
      return !images.every((image) => patterns.some((p) => imageMatches(p, image)));
    });
  }
  if (failures.length === 0) return { status: 'pass', message: `Validation rule '${ruleName}' passed.` };
  const checks = failures
    .map((f) => `(Forbidden reason: ${f.result.reason}, field error list: [${f.result.detail}])`)
    .join('');
  return {
    status: 'fail',
    message: `Validation rule '${ruleName}' failed. It violates PodSecurity "${level}:${version}": ${checks}`,
  };
}
