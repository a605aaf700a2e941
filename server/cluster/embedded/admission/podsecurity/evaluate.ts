import { kubernetesMinor } from '../../api/version.ts';
import { checks, type CheckResult, type Level, type PodView } from './checks.ts';

/** The Kubernetes minor version PSA "latest" means here. */
export const emulatedMinor = kubernetesMinor;

export interface LevelVersion {
  level: Level;
  /** "latest" or "v1.N" as written in the label. */
  version: string;
}

/** The minor version a label value evaluates at: "latest" and future versions mean the emulated minor (1.34). */
export function minorOf(version: string): number {
  if (version === 'latest') return emulatedMinor;
  const m = /^v1\.(\d+)$/.exec(version);
  return m ? Math.min(Number(m[1]), emulatedMinor) : emulatedMinor;
}

/**
 * Failed checks for a pod at a level and version, in the order kube-apiserver prints
 * them: baseline checks by id, then restricted checks by id.
 */
export function evaluatePod(pod: PodView, policy: LevelVersion): CheckResult[] {
  return evaluatePodChecks(pod, policy).map((f) => f.result);
}

/** Like evaluatePod, with the id of each failed check (for exclusions by control). */
export function evaluatePodChecks(pod: PodView, policy: LevelVersion): Array<{ id: string; result: CheckResult }> {
  if (policy.level === 'privileged') return [];
  const minor = minorOf(policy.version);
  const windows = (pod.spec.os as { name?: string } | undefined)?.name === 'windows';
  const applicable = checks.filter(
    (c) => c.since <= minor && (policy.level === 'restricted' || c.level === 'baseline'),
  );
  const overridden = new Set(policy.level === 'restricted' ? applicable.flatMap((c) => c.overrides ?? []) : []);
  const ordered = [
    ...applicable.filter((c) => c.level === 'baseline' && !overridden.has(c.id)),
    ...applicable.filter((c) => c.level === 'restricted'),
  ];
  const failures: Array<{ id: string; result: CheckResult }> = [];
  for (const check of ordered) {
    if (check.linuxOnly && windows && minor >= 25) continue;
    const result = check.run(pod, minor);
    if (result) failures.push({ id: check.id, result });
  }
  return failures;
}

/** "allowPrivilegeEscalation != false (container \"c\" must ...), runAsNonRoot != true (...)" */
export function describeFailures(failures: CheckResult[]): string {
  return failures.map((f) => (f.detail ? `${f.reason} (${f.detail})` : f.reason)).join(', ');
}
