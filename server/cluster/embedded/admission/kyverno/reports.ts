import type { Registry } from '../../registry/generic.ts';
import type { ResourceCatalog } from '../../registry/catalog.ts';
import type { KubeObject } from '../../storage/types.ts';
import type { RuleResult } from './engine.ts';

type Obj = Record<string, unknown>;

/** How reports name a policy: "name", or "namespace/name" for namespaced policies. */
function policyName(policy: KubeObject): string {
  return policy.metadata.namespace
    ? `${policy.metadata.namespace}/${policy.metadata.name}`
    : String(policy.metadata.name);
}

/** Kyverno's selectProcess: "background scan" whenever background processing is on, as upstream reports it. */
function processOf(policy: KubeObject): string {
  const spec = (policy.spec ?? {}) as Obj;
  const evaluation = spec.evaluation as Obj | undefined;
  const background = evaluation
    ? (evaluation.background as Obj | undefined)?.enabled !== false
    : spec.background !== false;
  const admission = evaluation
    ? (evaluation.admission as Obj | undefined)?.enabled !== false
    : spec.admission !== false;
  return background ? 'background scan' : admission ? 'admission review' : '';
}

/**
 * Writes the wgpolicyk8s.io/v1alpha2 PolicyReport (ClusterPolicyReport for cluster-scoped
 * objects) for one resource, named by its UID, as Kyverno's reports controller does.
 */
export function writeReport(
  registry: Registry,
  catalog: ResourceCatalog,
  resource: KubeObject,
  results: Array<{ policy: KubeObject; result: RuleResult }>,
  source = 'kyverno',
): void {
  const namespace = resource.metadata.namespace ?? '';
  const def = catalog.find('wgpolicyk8s.io', 'v1alpha2', namespace ? 'policyreports' : 'clusterpolicyreports');
  if (!def) return; // the report CRDs are not installed
  const now = Date.now();
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  // One report per resource: keep what other Kyverno engines (ClusterPolicy, ValidatingPolicy) reported.
  let existing: KubeObject | undefined;
  try {
    existing = registry.get(def, namespace, resource.metadata.uid ?? '');
  } catch {
    existing = undefined;
  }
  // Results of the same engine for the policies evaluated now are replaced; the rest stay.
  const evaluated = new Set(results.map(({ policy }) => policyName(policy)));
  const kept = (((existing?.results as Obj[] | undefined) ?? []) as Obj[]).filter(
    (r) => r.source !== source || !evaluated.has(String(r.policy)),
  );
  for (const r of kept)
    if (typeof r.result === 'string' && r.result in summary) summary[r.result as keyof typeof summary]++;
  const fresh = results.map(({ policy, result }) => {
    const annotations = policy.metadata.annotations ?? {};
    const scored = annotations['policies.kyverno.io/scored'] !== 'false';
    const status = result.status === 'fail' && !scored ? 'warn' : result.status;
    summary[status]++;
    const entry: Obj = {
      policy: policyName(policy),
      rule: result.rule,
      result: status,
      message: result.message,
      scored,
      source,
      timestamp: { seconds: Math.floor(now / 1000), nanos: 0 },
      properties: { process: processOf(policy) },
    };
    if (annotations['policies.kyverno.io/category']) entry.category = annotations['policies.kyverno.io/category'];
    if (annotations['policies.kyverno.io/severity']) entry.severity = annotations['policies.kyverno.io/severity'];
    return entry;
  });
  const report: KubeObject = {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: namespace ? 'PolicyReport' : 'ClusterPolicyReport',
    metadata: {
      name: resource.metadata.uid ?? '',
      ...(namespace ? { namespace } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'kyverno' },
      ownerReferences: [
        {
          apiVersion: resource.apiVersion,
          kind: resource.kind,
          name: resource.metadata.name ?? '',
          uid: resource.metadata.uid ?? '',
        },
      ],
      uid: crypto.randomUUID(),
      creationTimestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    scope: {
      apiVersion: resource.apiVersion,
      kind: resource.kind,
      name: resource.metadata.name,
      ...(namespace ? { namespace } : {}),
      uid: resource.metadata.uid,
    },
    summary,
    results: [...kept, ...fresh],
  };
  registry.writeObject(def, report);
}
