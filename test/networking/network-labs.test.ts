import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradeExercise } from '../../server/grading/exercise.ts';
import { loadLabs } from '../../server/labs/catalog.ts';
import { applySetup } from '../../server/lab/setup.ts';
import { kubectlBinaries, KubectlHarness } from '../helpers/kubectl.ts';
import { localLearner } from '../helpers/learner.ts';
import { projectRoot } from '../helpers/project.ts';

/**
 * The M6 labs' reachability checks against known wrong answers, on a real embedded cluster with
 * the real kubectl: each refusal names the policy or rule at fault, in both locales.
 */

const labs = await loadLabs(join(projectRoot, 'labs'));
const binary = kubectlBinaries(['1.33']).at(-1)?.path ?? 'kubectl';

function labCluster(id: string) {
  const harness = new KubectlHarness(binary);
  const summary = labs.get(id)!;
  const state = {
    harness,
    async apply(name: string, text: string) {
      const res = await harness.run(['apply', '-f', await harness.file(name, text)]);
      expect(res.stderr).toBe('');
    },
    async remove(kind: string, name: string, namespace: string) {
      await harness.run(['-n', namespace, 'delete', kind, name]);
    },
    async failures(exercise: string, locale: 'en' | 'es' = 'en') {
      const result = await gradeExercise(
        summary.definition!,
        summary.dir,
        exercise,
        { kubeconfig: harness.kubeconfig, learner: localLearner(harness.home, harness.kubeconfig) },
        locale,
        { pollSeconds: 0, backend: 'embedded' },
      );
      return result.results.filter((r) => !r.passed).map((r) => r.message);
    },
  };
  beforeAll(async () => {
    await harness.start();
    await applySetup(await readFile(harness.kubeconfig, 'utf8'), summary);
    const ready = await harness.run(['wait', '--for=condition=Ready', 'pod', '--all', '-A', '--timeout=30s']);
    expect(ready.code).toBe(0);
  }, 60_000);
  afterAll(() => harness.stop());
  return state;
}

const policy = (name: string, namespace: string, spec: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec}`;

describe('cross-namespace-db: closing the path', () => {
  const lab = labCluster('cross-namespace-db');

  it('names the open path before any policy, in English and Spanish', async () => {
    expect(await lab.failures('close-the-path')).toEqual([
      'dev/toolbox still reaches Service prod/db on TCP 5432, but should not: no NetworkPolicy selects prod/db for Ingress, so it accepts everything; no NetworkPolicy selects dev/toolbox for Egress, so it may connect anywhere.',
      'prod/report still reaches Service prod/db on TCP 5432, but should not: no NetworkPolicy selects prod/db for Ingress, so it accepts everything; no NetworkPolicy selects prod/report for Egress, so it may connect anywhere.',
    ]);
    expect((await lab.failures('close-the-path', 'es'))[0]).toBe(
      'dev/toolbox todavía llega a Service prod/db por TCP 5432, y no debería: ninguna NetworkPolicy selecciona prod/db para Ingress, así que acepta todo; ninguna NetworkPolicy selecciona dev/toolbox para Egress, así que puede salir a cualquier destino.',
    );
  });

  it('refuses a namespace-wide allow, naming the rule that lets the report job in', async () => {
    await lab.apply(
      'all-prod.yaml',
      policy(
        'db-from-prod',
        'prod',
        '  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from: [{podSelector: {}}]\n',
      ),
    );
    expect(await lab.failures('close-the-path')).toEqual([
      'prod/report still reaches Service prod/db on TCP 5432, but should not: prod/db-from-prod (ingress rule 1) allows the ingress; no NetworkPolicy selects prod/report for Egress, so it may connect anywhere.',
    ]);
    await lab.remove('networkpolicy', 'db-from-prod', 'prod');
  });

  it('refuses a deny-all that breaks the web tier, naming the isolating policy', async () => {
    await lab.apply('deny.yaml', policy('deny-all', 'prod', '  podSelector: {}\n  policyTypes: [Ingress]\n'));
    expect(await lab.failures('close-the-path')).toEqual([
      'prod/web cannot reach Service prod/db on TCP 5432, but should: the Ingress policies that select prod/db (prod/deny-all) have no rule that allows it.',
      'dev/toolbox cannot reach Pod prod/web on TCP 80, but should: the Ingress policies that select prod/web (prod/deny-all) have no rule that allows it.',
    ]);
    expect((await lab.failures('close-the-path', 'es'))[0]).toBe(
      'prod/web no llega a Service prod/db por TCP 5432, y debería: las políticas de Ingress que seleccionan prod/db (prod/deny-all) no tienen ninguna regla que lo permita.',
    );
    await lab.remove('networkpolicy', 'deny-all', 'prod');
  });

  it('accepts the reference policy', async () => {
    await lab.apply(
      'db-ingress.yaml',
      await readFile(join(projectRoot, 'labs/cross-namespace-db/solution/db-ingress.yaml'), 'utf8'),
    );
    expect(await lab.failures('close-the-path')).toEqual([]);
  });
});

describe('netpol-default-deny: the DNS rule and Egress isolation', () => {
  const lab = labCluster('netpol-default-deny');
  const solution = (file: string) => readFile(join(projectRoot, 'labs/netpol-default-deny/solution', file), 'utf8');

  it('refuses a default deny that leaves Egress open (policyTypes defaulted to Ingress)', async () => {
    await lab.apply('ingress-only.yaml', policy('default-deny', 'shop', '  podSelector: {}\n'));
    expect(await lab.failures('default-deny')).toEqual([
      '`db` can still open connections out of the cluster (203.0.113.10:443): the default deny must isolate Egress too, with `policyTypes: [Ingress, Egress]`.',
    ]);
  });

  it('names the missing DNS rule when the flows are open but CoreDNS is not', async () => {
    await lab.apply('default-deny.yaml', await solution('default-deny.yaml'));
    expect(await lab.failures('default-deny')).toEqual([]);
    const withoutDns = (await solution('allow-flows.yaml')).split('\n---\n').slice(1).join('\n---\n');
    await lab.apply('flows-without-dns.yaml', withoutDns);
    expect(await lab.failures('allow-flows')).toEqual([
      'shop/front cannot reach back.shop.svc.cluster.local on TCP 80, but should: name resolution fails: the Egress policies of shop/front (shop/default-deny, shop/front-to-back) allow no UDP 53 to CoreDNS (kube-system, k8s-app=kube-dns).',
      'shop/back cannot reach db.shop.svc.cluster.local on TCP 5432, but should: name resolution fails: the Egress policies of shop/back (shop/back-from-front, shop/default-deny) allow no UDP 53 to CoreDNS (kube-system, k8s-app=kube-dns).',
    ]);
    await lab.apply('allow-flows.yaml', await solution('allow-flows.yaml'));
    expect(await lab.failures('allow-flows')).toEqual([]);
  });
});
