import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';
import { projectRoot } from '../helpers/project.ts';

const binary = kubectlBinaries(['1.33'])[0];

const clusterPolicy = (name: string, rules: object[], spec: object = {}) =>
  stringify(
    { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name }, spec: { rules, ...spec } },
    { lineWidth: 0 },
  );

const inNamespace = (namespace: string, kinds: string[]) => ({
  any: [{ resources: { kinds, namespaces: [namespace] } }],
});

describe.skipIf(!binary)('Kyverno ClusterPolicy engine through real kubectl 1.33', () => {
  const k = new KubectlHarness(binary?.path ?? 'kubectl');
  beforeAll(async () => {
    await k.start();
    await k.run(['apply', '-f', `${projectRoot}/server/cluster/embedded/addons/kyverno/crds.yaml`]);
    await k.cluster.settle();
  }, 60_000);
  afterAll(() => k.stop());

  it('mutate adds a securityContext to the created pod', async () => {
    await k.run(['create', 'namespace', 'mutated']);
    const policy = clusterPolicy('add-security-context', [
      {
        name: 'run-as-non-root',
        match: inNamespace('mutated', ['Pod']),
        mutate: {
          patchStrategicMerge: {
            spec: {
              securityContext: { '+(runAsNonRoot)': true },
              containers: [{ '(name)': '*', securityContext: { '+(allowPrivilegeEscalation)': false } }],
            },
          },
        },
      },
      {
        name: 'label',
        match: inNamespace('mutated', ['Pod']),
        mutate: { patchesJson6902: '- op: add\n  path: /metadata/labels/mutated-by\n  value: kyverno\n' },
      },
    ]);
    expect((await k.run(['apply', '-f', await k.file('mutate.yaml', policy)])).code).toBe(0);
    const run = await k.run(['run', 'web', '-n', 'mutated', '--image=nginx:1.27']);
    expect(run.code, run.stderr).toBe(0);
    const out = await k.run([
      'get',
      'pod',
      'web',
      '-n',
      'mutated',
      '-o',
      'jsonpath={.spec.securityContext.runAsNonRoot} {.spec.containers[0].securityContext.allowPrivilegeEscalation} {.metadata.labels.mutated-by}',
    ]);
    expect(out.stdout).toBe('true false kyverno');
    // A Deployment's pod template is mutated too (autogen), and so are its pods.
    await k.run(['create', 'deployment', 'api', '-n', 'mutated', '--image=nginx:1.27']);
    const template = await k.run([
      'get',
      'deployment',
      'api',
      '-n',
      'mutated',
      '-o',
      'jsonpath={.spec.template.spec.securityContext.runAsNonRoot}',
    ]);
    expect(template.stdout).toBe('true');
  });

  it('generate gives every new namespace a default-deny NetworkPolicy and keeps it (synchronize)', async () => {
    const policy = clusterPolicy('default-deny', [
      {
        name: 'default-deny',
        match: { any: [{ resources: { kinds: ['Namespace'] } }] },
        exclude: { any: [{ resources: { namespaces: ['default', 'mutated', 'enforced'] } }] },
        generate: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          name: 'default-deny',
          namespace: '{{request.object.metadata.name}}',
          synchronize: true,
          data: { spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
        },
      },
    ]);
    expect((await k.run(['apply', '-f', await k.file('generate.yaml', policy)])).code).toBe(0);
    await k.run(['create', 'namespace', 'team-a']);
    await k.cluster.settle();
    const np = await k.run(['get', 'networkpolicy', '-n', 'team-a']);
    expect(np.stdout).toMatch(/^NAME\s+POD-SELECTOR\s+AGE\ndefault-deny\s+<none>\s+\d+s\n$/);
    const labels = await k.run([
      'get',
      'networkpolicy',
      'default-deny',
      '-n',
      'team-a',
      '-o',
      "jsonpath={.metadata.labels['generate\\.kyverno\\.io/policy-name']}",
    ]);
    expect(labels.stdout).toBe('default-deny');
    await k.run(['delete', 'networkpolicy', 'default-deny', '-n', 'team-a']);
    await k.cluster.settle();
    expect((await k.run(['get', 'networkpolicy', 'default-deny', '-n', 'team-a'])).code).toBe(0);
  });

  it('podSecurity denies a privileged pod with the Pod Security engine', async () => {
    await k.run(['create', 'namespace', 'pss']);
    const policy = clusterPolicy(
      'pod-security-baseline',
      [
        {
          name: 'baseline',
          match: inNamespace('pss', ['Pod']),
          validate: { podSecurity: { level: 'baseline', version: 'latest' } },
        },
      ],
      { validationFailureAction: 'Enforce' },
    );
    expect((await k.run(['apply', '-f', await k.file('pss.yaml', policy)])).code).toBe(0);
    const privileged = stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'root', namespace: 'pss' },
      spec: { containers: [{ name: 'c', image: 'nginx:1.27', securityContext: { privileged: true } }] },
    });
    const out = await k.run(['apply', '-f', await k.file('priv.yaml', privileged)]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      'admission webhook "validate.kyverno.svc-fail" denied the request: \n\nresource Pod/pss/root was blocked due to the following policies \n\npod-security-baseline:\n  baseline: ',
    );
    expect(out.stderr).toContain(
      `  baseline: 'Validation rule ''baseline'' failed. It violates PodSecurity "baseline:latest": (Forbidden reason: privileged, field error list: [container "c" must not set securityContext.privileged=true])'`,
    );
    expect((await k.run(['run', 'plain', '-n', 'pss', '--image=nginx:1.27'])).code).toBe(0);
  });

  it('rejects a policy that uses a feature the embedded cluster cannot run, naming the field', async () => {
    const policy = clusterPolicy('verify', [
      {
        name: 'signed',
        match: { any: [{ resources: { kinds: ['Pod'] } }] },
        verifyImages: [{ imageReferences: ['registry.example.com/*'], attestors: [] }],
      },
    ]);
    const out = await k.run(['apply', '-f', await k.file('verify.yaml', policy)]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      'admission webhook "validate-policy.kyverno.svc" denied the request: spec.rules[0].verifyImages: the embedded cluster cannot run image verification (it needs a container registry); use the kind backend, where the real Kyverno runs',
    );
    expect((await k.run(['get', 'clusterpolicy', 'verify'])).code).toBe(1);
  });

  it('Audit never blocks: an erroring Audit rule lets the pod in', async () => {
    await k.run(['create', 'namespace', 'audit-only']);
    const policy = clusterPolicy('audit-context', [
      {
        name: 'needs-missing-configmap',
        match: inNamespace('audit-only', ['Pod']),
        context: [{ name: 'cfg', configMap: { name: 'missing', namespace: 'audit-only' } }],
        validate: {
          failureAction: 'Audit',
          message: 'x',
          deny: { conditions: { any: [{ key: '{{ cfg.data.x }}', operator: 'Equals', value: 'y' }] } },
        },
      },
    ]);
    expect((await k.run(['apply', '-f', await k.file('audit.yaml', policy)])).code).toBe(0);
    const out = await k.run(['run', 'ok', '-n', 'audit-only', '--image=nginx:1.27']);
    expect(out.code, out.stderr).toBe(0);
  });

  it('background scans report resources that existed before the policy', async () => {
    await k.run(['create', 'namespace', 'scanned']);
    expect((await k.run(['run', 'old', '-n', 'scanned', '--image=registry.example.com/app:latest'])).code).toBe(0);
    const policy = clusterPolicy('no-latest-scan', [
      {
        name: 'no-latest',
        match: inNamespace('scanned', ['Pod']),
        validate: {
          failureAction: 'Audit',
          message: 'no latest',
          pattern: { spec: { containers: [{ image: '!*:latest' }] } },
        },
      },
    ]);
    expect((await k.run(['apply', '-f', await k.file('scan.yaml', policy)])).code).toBe(0);
    await k.cluster.settle();
    const out = await k.run([
      'get',
      'policyreports',
      '-n',
      'scanned',
      '-o',
      'jsonpath={.items[0].scope.name} {.items[0].results[0].result} {.items[0].results[0].properties.process}',
    ]);
    expect(out.stdout).toBe('old fail background scan');
  });

  it('failureActionOverrides turn an Audit rule into Enforce in chosen namespaces', async () => {
    await k.run(['create', 'namespace', 'strict']);
    await k.run(['create', 'namespace', 'lenient']);
    const policy = clusterPolicy('team-label', [
      {
        name: 'team',
        match: { any: [{ resources: { kinds: ['Pod'], namespaces: ['strict', 'lenient'] } }] },
        validate: {
          failureAction: 'Audit',
          failureActionOverrides: [{ action: 'Enforce', namespaces: ['strict'] }],
          message: 'pods need a team label',
          pattern: { metadata: { labels: { team: '?*' } } },
        },
      },
    ]);
    expect((await k.run(['apply', '-f', await k.file('override.yaml', policy)])).code).toBe(0);
    expect((await k.run(['run', 'p', '-n', 'strict', '--image=registry.example.com/app:1.0'])).stderr).toContain(
      'pods need a team label',
    );
    expect((await k.run(['run', 'p', '-n', 'lenient', '--image=registry.example.com/app:1.0'])).code).toBe(0);
  });
});
