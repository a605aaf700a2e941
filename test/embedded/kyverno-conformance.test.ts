import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, type EngineRequest } from '../../server/cluster/embedded/admission/kyverno/engine.ts';
import { projectRoot } from '../helpers/project.ts';

type Obj = Record<string, unknown>;
const root = join(projectRoot, '..', 'shared', 'conformance', 'kyverno');
const present = existsSync(join(root, 'MANIFEST.json'));
if (!present) console.warn(`Kyverno conformance data not found at ${root}: suite skipped`);

interface ManifestEntry {
  repo: string;
  test: string;
  feats: string[];
}

const clusterScoped = new Set([
  'Namespace',
  'Node',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'CustomResourceDefinition',
  'ClusterPolicy',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'IngressClass',
  'RuntimeClass',
  'CertificateSigningRequest',
  'ClusterIssuer',
  'APIService',
]);

function loadDocs(path: string): Obj[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter((d) => d && typeof d === 'object');
}

function requestFor(resource: Obj, operation: string): EngineRequest {
  const [group, version] = String(resource.apiVersion ?? 'v1').includes('/')
    ? String(resource.apiVersion).split('/')
    : ['', String(resource.apiVersion ?? 'v1')];
  const meta = (resource.metadata ?? {}) as Obj;
  const kind = String(resource.kind);
  const namespace = clusterScoped.has(kind) ? '' : String(meta.namespace ?? 'default');
  return {
    group: group!,
    version: version!,
    kind,
    subresource: '',
    name: String(meta.name ?? meta.generateName ?? ''),
    namespace,
    labels: (meta.labels as Record<string, string>) ?? {},
    annotations: (meta.annotations as Record<string, string>) ?? {},
    operation,
    userInfo: { username: '', groups: [] },
    roles: [],
    clusterRoles: [],
    object: operation === 'DELETE' ? {} : resource,
    oldObject: operation === 'DELETE' ? resource : null,
  };
}

const entries: ManifestEntry[] = present
  ? (JSON.parse(readFileSync(join(root, 'MANIFEST.json'), 'utf8')) as ManifestEntry[])
  : [];

describe.skipIf(!present)('Kyverno CLI conformance (157 kyverno-test.yaml)', () => {
  it('produces the expected result for at least 98% of the tests, strictly', () => {
    let passedTests = 0;
    const failedTests: string[] = [];
    const featureTally = new Map<string, { ok: number; total: number }>();
    let resultRows = 0;
    let resultRowsOk = 0;
    for (const entry of entries) {
      const testPath = join(root, entry.repo, entry.test);
      const dir = dirname(testPath);
      const test = loadDocs(testPath)[0]!;
      const policies = ((test.policies as string[]) ?? []).flatMap((p) => loadDocs(join(dir, p)));
      const resources = ((test.resources as string[]) ?? []).flatMap((p) => loadDocs(join(dir, p)));
      let ok = true;
      const problems: string[] = [];
      for (const expected of (test.results as Obj[]) ?? []) {
        const policyRef = String(expected.policy);
        const policyName = policyRef.includes('/') ? policyRef.split('/')[1]! : policyRef;
        const policy = policies.find((p) => (p.metadata as Obj)?.name === policyName);
        if (policy && policy.kind === 'Policy' && !(policy.metadata as Obj).namespace)
          (policy.metadata as Obj).namespace = 'default';
        const names =
          (expected.resources as string[] | undefined) ?? (expected.resource ? [String(expected.resource)] : []);
        for (const ref of names) {
          resultRows++;
          const [ns, name] = ref.includes('/') ? ref.split('/') : [undefined, ref];
          const resource = resources.find(
            (r) =>
              (r.metadata as Obj)?.name === name &&
              (!expected.kind || r.kind === expected.kind) &&
              (!ns || ((r.metadata as Obj).namespace ?? 'default') === ns),
          );
          if (!policy || !resource) {
            ok = false;
            problems.push(`missing ${policy ? 'resource' : 'policy'} ${ref}`);
            continue;
          }
          const results = evaluatePolicy(policy, requestFor(resource, String(expected.operation ?? 'CREATE')));
          const rule = String(expected.rule);
          const mine = results.filter(
            (r) => r.rule === rule || r.rule === `autogen-${rule}` || r.rule === `autogen-cronjob-${rule}`,
          );
          let actual = mine.length ? mine[0]!.status : 'skip';
          const scored = ((policy.metadata as Obj).annotations as Record<string, string> | undefined)?.[
            'policies.kyverno.io/scored'
          ];
          if (actual === 'fail' && scored === 'false') actual = 'warn';
          if (actual === expected.result) resultRowsOk++;
          else {
            ok = false;
            problems.push(
              `${policyName}/${rule} on ${expected.kind}/${ref}: expected ${String(expected.result)}, got ${actual}${mine[0] ? ` (${mine[0].message})` : ''}`,
            );
          }
        }
      }
      for (const feat of entry.feats) {
        const t = featureTally.get(feat) ?? { ok: 0, total: 0 };
        t.total++;
        if (ok) t.ok++;
        featureTally.set(feat, t);
      }
      // Tests under test-fail/ exist to make `kyverno test` fail: they pass when we find a problem too.
      if (entry.test.includes('/test-fail/')) ok = !ok;
      if (ok) passedTests++;
      else failedTests.push(`${entry.repo}/${entry.test}\n    ${problems.slice(0, 4).join('\n    ')}`);
    }
    const rate = passedTests / entries.length;
    console.log(
      `Kyverno CLI tests: ${passedTests}/${entries.length} pass (${(rate * 100).toFixed(1)}%), result rows ${resultRowsOk}/${resultRows}`,
    );
    for (const [feat, t] of [...featureTally].sort()) console.log(`  ${feat.padEnd(28)} ${t.ok}/${t.total}`);
    if (failedTests.length) console.log(`failing tests:\n  ${failedTests.join('\n  ')}`);
    expect(entries.length).toBe(157);
    expect(rate).toBeGreaterThanOrEqual(0.98);
    // At least 154/157: only these three may fail (issue 14), each for a reason the log shows.
    const knownFailures = [
      'kyverno-kyverno/test/cli/test-fail/invalid-ns-deprecated/kyverno-test.yaml',
      'kyverno-kyverno/test/cli/test-fail/invalid-ns/kyverno-test.yaml',
      'kyverno-policies/istio/enforce-ambient-mode-namespace/.kyverno-test/kyverno-test.yaml',
    ];
    expect(failedTests.map((t) => t.split('\n')[0] ?? t).filter((t) => !knownFailures.includes(t))).toEqual([]);
  });
});
