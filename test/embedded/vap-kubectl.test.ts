import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const binary = kubectlBinaries(['1.33'])[0];

const deployment = (name: string, replicas: number, labels: Record<string, string> = { app: name }) =>
  stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  });

const replicaPolicy = (name: string, extra: object = {}) =>
  stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] },
        ],
      },
      validations: [{ expression: 'object.spec.replicas <= 5' }],
      ...extra,
    },
  });

const binding = (name: string, policyName: string, actions: string[], extra: object = {}) =>
  stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName, validationActions: actions, ...extra },
  });

describe.skipIf(!binary)('ValidatingAdmissionPolicy through real kubectl 1.33', () => {
  const k = new KubectlHarness(binary?.path ?? 'kubectl');
  beforeAll(() => k.start(), 60_000);
  afterAll(() => k.stop());

  it('denies a 7-replica Deployment with the upstream text and admits a 2-replica one', async () => {
    await k.run(['create', 'namespace', 'deny']);
    const p = await k.run(['apply', '-f', await k.file('p.yaml', replicaPolicy('max-replicas'))]);
    expect(p.stdout.trim()).toBe('validatingadmissionpolicy.admissionregistration.k8s.io/max-replicas created');
    const b = await k.run([
      'apply',
      '-f',
      await k.file(
        'b.yaml',
        binding('max-replicas-binding', 'max-replicas', ['Deny'], {
          matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'deny' } } },
        }),
      ),
    ]);
    expect(b.code, b.stderr).toBe(0);
    const big = await k.run(['apply', '-n', 'deny', '-f', await k.file('big.yaml', deployment('big', 7))]);
    expect(big.code).toBe(1);
    expect(big.stderr.trim()).toBe(
      "The deployments \"big\" is invalid: : ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: failed expression: object.spec.replicas <= 5",
    );
    const small = await k.run(['apply', '-n', 'deny', '-f', await k.file('small.yaml', deployment('small', 2))]);
    expect(small.code, small.stderr).toBe(0);
    expect(small.stdout.trim()).toBe('deployment.apps/small created');
    // Other namespaces are not bound.
    const elsewhere = await k.run(['apply', '-f', await k.file('big2.yaml', deployment('big', 7))]);
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    const list = await k.run(['get', 'validatingadmissionpolicies']);
    expect(list.stdout).toMatch(/^NAME\s+VALIDATIONS\s+PARAMKIND\s+AGE\nmax-replicas\s+1\s+<unset>\s+\d+s/);
  });

  it('Warn returns the warning and Audit writes the audit annotation, both admitting', async () => {
    await k.run(['create', 'namespace', 'soft']);
    await k.run([
      'apply',
      '-f',
      await k.file(
        'p2.yaml',
        replicaPolicy('max-replicas-soft', {
          auditAnnotations: [{ key: 'replicas', valueExpression: "'replicas: ' + string(object.spec.replicas)" }],
        }),
      ),
    ]);
    await k.run([
      'apply',
      '-f',
      await k.file(
        'b2.yaml',
        binding('soft-binding', 'max-replicas-soft', ['Warn', 'Audit'], {
          matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'soft' } } },
        }),
      ),
    ]);
    const out = await k.run(['apply', '-n', 'soft', '-f', await k.file('big3.yaml', deployment('big', 7))]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr.trim()).toBe(
      "Warning: Validation failed for ValidatingAdmissionPolicy 'max-replicas-soft' with binding 'soft-binding': failed expression: object.spec.replicas <= 5",
    );
    const event = k.cluster.audit.events().find((e) => e.objectRef.namespace === 'soft' && e.objectRef.name === 'big');
    expect(event?.annotations['max-replicas-soft/replicas']).toBe('replicas: 7');
    expect(JSON.parse(event!.annotations['validation.policy.admission.k8s.io/validation_failure']!)).toEqual([
      {
        message: 'failed expression: object.spec.replicas <= 5',
        policy: 'max-replicas-soft',
        binding: 'soft-binding',
        expressionIndex: 0,
        validationActions: ['Warn', 'Audit'],
      },
    ]);
    const log = await k.run(['version', '--client']); // the same event is in the cluster's audit.log
    expect(log.code).toBe(0);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(`${k.home}/cluster/audit.log`, 'utf8')).toContain('max-replicas-soft/replicas');
  });

  it('reads paramRef ConfigMap params, with messageExpression and reason', async () => {
    await k.run(['create', 'namespace', 'params']);
    await k.run(['create', 'configmap', 'limits', '-n', 'params', '--from-literal=maxReplicas=3']);
    const policy = stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'replica-limit' },
      spec: {
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: {
          resourceRules: [
            { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] },
          ],
        },
        variables: [{ name: 'max', expression: 'int(params.data.maxReplicas)' }],
        validations: [
          {
            expression: 'object.spec.replicas <= variables.max',
            messageExpression: "'replicas must be at most ' + string(variables.max)",
            reason: 'Forbidden',
          },
        ],
      },
    });
    await k.run(['apply', '-f', await k.file('p3.yaml', policy)]);
    const b = await k.run([
      'apply',
      '-f',
      await k.file(
        'b3.yaml',
        binding('replica-limit-binding', 'replica-limit', ['Deny'], {
          paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' },
          matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'params' } } },
        }),
      ),
    ]);
    expect(b.code, b.stderr).toBe(0);
    const four = await k.run(['apply', '-n', 'params', '-f', await k.file('four.yaml', deployment('four', 4))]);
    expect(four.stderr.trim()).toBe(
      `Error from server (Forbidden): error when creating "${k.home}/four.yaml": deployments.apps "four" is forbidden: ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-binding' denied request: replicas must be at most 3`,
    );
    const three = await k.run(['apply', '-n', 'params', '-f', await k.file('three.yaml', deployment('three', 3))]);
    expect(three.code, three.stderr).toBe(0);
    // Without the ConfigMap, parameterNotFoundAction Deny rejects.
    await k.run(['delete', 'configmap', 'limits', '-n', 'params']);
    const one = await k.run(['apply', '-n', 'params', '-f', await k.file('one.yaml', deployment('one', 1))]);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain(
      'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction',
    );
  });

  it('rejects a policy whose expression does not compile, naming the field', async () => {
    const bad = replicaPolicy('broken').replace('object.spec.replicas <= 5', 'object.spec.replicas <=');
    const out = await k.run(['apply', '-f', await k.file('bad.yaml', bad)]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      'The ValidatingAdmissionPolicy "broken" is invalid: spec.validations[0].expression: Invalid value: "object.spec.replicas <=": compilation failed: ERROR: <input>:1:',
    );
    const actions = await k.run([
      'apply',
      '-f',
      await k.file('bb.yaml', binding('both', 'max-replicas', ['Deny', 'Warn'])),
    ]);
    expect(actions.stderr).toContain('must not contain both Deny and Warn');
  });

  it('type-checks expressions against the schema of the matched kinds in status', async () => {
    const typo = replicaPolicy('typo').replace('object.spec.replicas <= 5', 'object.spec.replica <= 5');
    expect((await k.run(['apply', '-f', await k.file('typo.yaml', typo)])).code).toBe(0);
    await k.cluster.settle();
    const out = await k.run([
      'get',
      'validatingadmissionpolicy',
      'typo',
      '-o',
      'jsonpath={.status.typeChecking.expressionWarnings[0].warning}',
    ]);
    expect(out.stdout).toBe(
      "apps/v1, Kind=Deployment: ERROR: <input>:1:13: undefined field 'replica'\n | object.spec.replica <= 5\n | ............^",
    );
    const field = await k.run([
      'get',
      'validatingadmissionpolicy',
      'typo',
      '-o',
      'jsonpath={.status.typeChecking.expressionWarnings[0].fieldRef}',
    ]);
    expect(field.stdout).toBe('spec.validations[0].expression');
  });

  it('does not serve MutatingAdmissionPolicy (beta and off by default in 1.34)', async () => {
    const map = stringify({
      apiVersion: 'admissionregistration.k8s.io/v1beta1',
      kind: 'MutatingAdmissionPolicy',
      metadata: { name: 'm' },
      spec: { matchConstraints: { resourceRules: [] }, mutations: [] },
    });
    // The embedded server has no /openapi/v2 for kubectl's fallback validation, so skip client validation.
    const out = await k.run(['apply', '--validate=false', '-f', await k.file('map.yaml', map)]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      `resource mapping not found for name: "m" namespace: "" from "${k.home}/map.yaml": no matches for kind "MutatingAdmissionPolicy" in version "admissionregistration.k8s.io/v1beta1"`,
    );
    const resources = await k.run(['api-resources', '--api-group=admissionregistration.k8s.io', '-o', 'name']);
    // What a default 1.34 kube-apiserver serves in the group (no MutatingAdmissionPolicy).
    expect(resources.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'mutatingwebhookconfigurations.admissionregistration.k8s.io',
      'validatingadmissionpolicies.admissionregistration.k8s.io',
      'validatingadmissionpolicybindings.admissionregistration.k8s.io',
      'validatingwebhookconfigurations.admissionregistration.k8s.io',
    ]);
  });
});
