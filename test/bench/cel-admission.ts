import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import type { KubeObject } from '../../server/cluster/embedded/storage/types.ts';
import { percentile, report } from './stats.ts';

const admin = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
const options = (dryRun: boolean) => ({ user: admin, dryRun, fieldManager: 'bench', warnings: [] as string[] });

/** Twenty CEL validations of the kinds courses write: registries, tags, security context, labels, limits. */
const expressions = [
  "object.spec.containers.all(c, c.image.startsWith('trusted-repo/') || c.image.startsWith('registry.example.com/'))",
  "object.spec.containers.all(c, !c.image.endsWith(':latest'))",
  'object.spec.containers.all(c, !has(c.securityContext) || !c.securityContext.?privileged.orValue(false))',
  "has(object.metadata.labels) && 'app' in object.metadata.labels",
  "object.spec.containers.all(c, !has(c.resources) || !has(c.resources.limits) || quantity(c.resources.limits.?memory.orValue('0')).isLessThan(quantity('4Gi')))",
];

const rules = [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }];

function admissionPolicies(): Array<{ resource: string; object: KubeObject }> {
  const out: Array<{ resource: string; object: KubeObject }> = [];
  for (let i = 0; i < 20; i++) {
    const validations = [{ expression: expressions[i % expressions.length]!, message: `rule ${i}` }];
    if (i % 2 === 0) {
      out.push({
        resource: 'validatingadmissionpolicies',
        object: {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingAdmissionPolicy',
          metadata: { name: `vap-${i}` },
          spec: { failurePolicy: 'Fail', matchConstraints: { resourceRules: rules }, validations },
        },
      });
      out.push({
        resource: 'validatingadmissionpolicybindings',
        object: {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingAdmissionPolicyBinding',
          metadata: { name: `vap-${i}` },
          spec: { policyName: `vap-${i}`, validationActions: ['Warn'] },
        },
      });
    } else {
      out.push({
        resource: 'validatingpolicies',
        object: {
          apiVersion: 'policies.kyverno.io/v1',
          kind: 'ValidatingPolicy',
          metadata: { name: `vpol-${i}` },
          spec: { validationActions: ['Audit'], matchConstraints: { resourceRules: rules }, validations },
        },
      });
    }
  }
  return out;
}

async function timeCreates(cluster: EmbeddedCluster): Promise<number[]> {
  const pods = cluster.catalog.find('', 'v1', 'pods')!;
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bench', namespace: 'default', labels: { app: 'web' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'trusted-repo/app:1.0',
          securityContext: { privileged: false },
          resources: { limits: { memory: '256Mi' } },
        },
      ],
    },
  };
  const times: number[] = [];
  for (let i = 0; i < 1100; i++) {
    const t0 = performance.now();
    await cluster.registry.create(pods, 'default', structuredClone(pod), options(true));
    if (i >= 100) times.push(performance.now() - t0); // after warm-up
  }
  return times;
}

export async function benchCelAdmission(): Promise<boolean> {
  const cluster = await new EmbeddedCluster().start();
  const baseline = await timeCreates(cluster);
  const crdDef = cluster.catalog.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  const crds = parseAllDocuments(
    readFileSync(join(import.meta.dirname, '..', '..', 'server/cluster/embedded/addons/kyverno/crds.yaml'), 'utf8'),
  ).map((d) => d.toJS() as KubeObject);
  for (const crd of crds) await cluster.registry.create(crdDef, '', crd, options(false));
  await cluster.settle();
  for (const { resource, object } of admissionPolicies()) {
    const def = cluster.catalog.all().find((d) => d.plural === resource)!;
    await cluster.registry.create(def, '', object, options(false));
  }
  await cluster.settle();
  // The policies really run: a :latest image trips the tag rule of every binding that has it.
  const probe = options(true);
  const pods = cluster.catalog.find('', 'v1', 'pods')!;
  await cluster.registry.create(
    pods,
    'default',
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe', namespace: 'default', labels: { app: 'x' } },
      spec: { containers: [{ name: 'c', image: 'trusted-repo/app:latest' }] },
    },
    probe,
  );
  const tripped = probe.warnings.filter((w) => w.startsWith('Validation failed for ValidatingAdmissionPolicy')).length;
  if (tripped !== 2)
    throw new Error(`expected 2 ValidatingAdmissionPolicy warnings from the probe pod, got ${tripped}`);
  const times = await timeCreates(cluster);
  await cluster.stop();
  const p50 = percentile(times, 50);
  const base = percentile(baseline, 50);
  return report(
    'Admission (one pod, dry-run, 20 CEL policies: 10 ValidatingAdmissionPolicy + 10 Kyverno ValidatingPolicy)',
    [
      { name: 'baseline p50, no policies (1000 requests)', value: base, unit: 'ms' },
      { name: 'admission p50 with 20 CEL policies', value: p50, unit: 'ms', target: { op: '<', value: 2 } },
      { name: 'admission p95 with 20 CEL policies', value: percentile(times, 95), unit: 'ms' },
      { name: 'cost of the 20 policies (p50 minus baseline)', value: p50 - base, unit: 'ms' },
    ],
  );
}
