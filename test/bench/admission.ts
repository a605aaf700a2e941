import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import type { KubeObject } from '../../server/cluster/embedded/storage/types.ts';
import { percentile, report } from './stats.ts';

const admin = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
const options = (dryRun: boolean) => ({ user: admin, dryRun, fieldManager: 'bench', warnings: [] as string[] });

/** Twenty realistic validate policies: registries, tags, probes, security context, labels. */
function policies(): KubeObject[] {
  const list: KubeObject[] = [];
  for (let i = 0; i < 20; i++) {
    const kind = i % 4;
    const validate =
      kind === 0
        ? {
            failureAction: 'Audit',
            message: 'trusted registries only',
            pattern: { spec: { containers: [{ image: `registry-${i}.example.com/* | trusted-repo/*` }] } },
          }
        : kind === 1
          ? {
              failureAction: 'Audit',
              message: 'no latest',
              pattern: { spec: { containers: [{ image: '!*:latest' }] } },
            }
          : kind === 2
            ? {
                failureAction: 'Audit',
                message: 'run as non-root',
                pattern: {
                  spec: {
                    '=(securityContext)': { '=(runAsNonRoot)': true },
                    containers: [{ '=(securityContext)': { '=(privileged)': false } }],
                  },
                },
              }
            : {
                failureAction: 'Audit',
                message: 'team label',
                deny: {
                  conditions: {
                    any: [{ key: "{{ request.object.metadata.labels.team || '' }}", operator: 'Equals', value: '' }],
                  },
                },
              };
    list.push({
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name: `bench-${i}` },
      spec: {
        background: true,
        rules: [{ name: `rule-${i}`, match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate }],
      },
    });
  }
  return list;
}

export async function benchAdmission(): Promise<boolean> {
  const cluster = await new EmbeddedCluster().start();
  const crdDef = cluster.catalog.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  const crds = parseAllDocuments(
    readFileSync(join(import.meta.dirname, '..', '..', 'server/cluster/embedded/addons/kyverno/crds.yaml'), 'utf8'),
  ).map((d) => d.toJS() as KubeObject);
  for (const crd of crds) await cluster.registry.create(crdDef, '', crd, options(false));
  await cluster.settle();
  const cpol = cluster.catalog.find('kyverno.io', 'v1', 'clusterpolicies')!;
  for (const p of policies()) await cluster.registry.create(cpol, '', p, options(false));
  const pods = cluster.catalog.find('', 'v1', 'pods')!;
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bench', namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image: 'trusted-repo/app:1.0', securityContext: { privileged: false } }] },
  };
  const times: number[] = [];
  for (let i = 0; i < 1100; i++) {
    const t0 = performance.now();
    await cluster.registry.create(pods, 'default', structuredClone(pod), options(true));
    if (i >= 100) times.push(performance.now() - t0); // after warm-up
  }
  await cluster.stop();
  return report('Admission (one pod, dry-run, 20 Kyverno policies + Pod Security)', [
    { name: 'admission p50 (1000 requests)', value: percentile(times, 50), unit: 'ms', target: { op: '<', value: 2 } },
    { name: 'admission p95', value: percentile(times, 95), unit: 'ms' },
  ]);
}
