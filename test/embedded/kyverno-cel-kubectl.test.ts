import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';
import { projectRoot } from '../helpers/project.ts';

const binary = kubectlBinaries(['1.33'])[0];

const trustedRegistry = (name: string, actions: string[], extra: object = {}) =>
  stringify(
    {
      apiVersion: 'policies.kyverno.io/v1',
      kind: 'ValidatingPolicy',
      metadata: { name },
      spec: {
        validationActions: actions,
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
          ],
        },
        variables: [
          {
            name: 'containers',
            expression: 'object.spec.containers + object.spec.?initContainers.orValue([])',
          },
        ],
        validations: [
          {
            expression: "variables.containers.all(c, image(c.image).registry() == 'registry.example.com')",
            messageExpression:
              "'images must come from registry.example.com, not ' + variables.containers.map(c, image(c.image).registry()).join(', ')",
          },
        ],
        ...extra,
      },
    },
    { lineWidth: 0 },
  );

const pod = (name: string, image: string) =>
  stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image }] } });

describe.skipIf(!binary)('Kyverno ValidatingPolicy through real kubectl 1.33', () => {
  const k = new KubectlHarness(binary?.path ?? 'kubectl');
  beforeAll(async () => {
    await k.start();
    await k.run(['apply', '-f', `${projectRoot}/server/cluster/embedded/addons/kyverno/crds.yaml`]);
    await k.cluster.settle();
  }, 60_000);
  afterAll(() => k.stop());

  it('denies an untrusted image with the text of Kyverno’s vpol webhook', async () => {
    await k.run(['create', 'namespace', 'enforced']);
    const policy = trustedRegistry('trusted-registry', ['Deny'], {
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
        ],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'enforced' } },
      },
    });
    const applied = await k.run(['apply', '-f', await k.file('vpol.yaml', policy)]);
    expect(applied.stdout.trim()).toBe('validatingpolicy.policies.kyverno.io/trusted-registry created');
    await k.cluster.settle();
    const list = await k.run(['get', 'vpol']);
    expect(list.stdout).toMatch(/^NAME\s+AGE\s+READY\ntrusted-registry\s+\d+s\s+true\n$/);
    const denied = await k.run(['run', 'web', '-n', 'enforced', '--image=nginx:1.27']);
    expect(denied.code).toBe(1);
    expect(denied.stderr.trim()).toBe(
      'Error from server: admission webhook "vpol.validate.kyverno.svc-fail" denied the request: Policy trusted-registry failed: images must come from registry.example.com, not index.docker.io',
    );
    const allowed = await k.run(['run', 'web', '-n', 'enforced', '--image=registry.example.com/web:1.0']);
    expect(allowed.code, allowed.stderr).toBe(0);
    // Autogen: the same rule checks the pod template of a Deployment.
    const deploy = await k.run(['create', 'deployment', 'web', '-n', 'enforced', '--image=nginx:1.27']);
    expect(deploy.stderr).toContain(
      'Policy trusted-registry failed: images must come from registry.example.com, not index.docker.io',
    );
    const status = await k.run([
      'get',
      'vpol',
      'trusted-registry',
      '-o',
      'jsonpath={.status.autogen.configs.defaults.targets[*].kind}',
    ]);
    expect(status.stdout.split(' ').sort()).toEqual(['DaemonSet', 'Deployment', 'Job', 'ReplicaSet', 'StatefulSet']);
  });

  it('records Audit results in a PolicyReport and never blocks', async () => {
    await k.run(['create', 'namespace', 'audited']);
    const policy = trustedRegistry('trusted-registry-audit', ['Audit'], {
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
        ],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'audited' } },
      },
    });
    await k.run(['apply', '-f', await k.file('vpol-audit.yaml', policy)]);
    const created = await k.run([
      'apply',
      '-n',
      'audited',
      '-f',
      await k.file('pod.yaml', pod('untrusted', 'nginx:1.27')),
    ]);
    expect(created.code, created.stderr).toBe(0);
    await k.cluster.settle();
    const reports = await k.run(['get', 'policyreports', '-n', 'audited', '-o', 'wide']);
    expect(reports.stdout).toMatch(
      /^NAME\s+KIND\s+NAME\s+PASS\s+FAIL\s+WARN\s+ERROR\s+SKIP\s+AGE\n\S+\s+Pod\s+untrusted\s+0\s+1\s+0\s+0\s+0\s+\d+s/,
    );
    const results = await k.run(['get', 'policyreports', '-n', 'audited', '-o', 'jsonpath={.items[0].results[0]}']);
    expect(JSON.parse(results.stdout)).toMatchObject({
      policy: 'trusted-registry-audit',
      result: 'fail',
      message: 'images must come from registry.example.com, not index.docker.io',
      source: 'KyvernoValidatingPolicy',
    });
  });

  it('scans resources that existed before the policy (background scan)', async () => {
    await k.run(['create', 'namespace', 'existing']);
    expect((await k.run(['run', 'before', '-n', 'existing', '--image=nginx:1.27'])).code).toBe(0);
    const policy = trustedRegistry('trusted-registry-scan', ['Audit'], {
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
        ],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'existing' } },
      },
    });
    await k.run(['apply', '-f', await k.file('vpol-scan.yaml', policy)]);
    await k.cluster.settle();
    const out = await k.run([
      'get',
      'policyreports',
      '-n',
      'existing',
      '-o',
      'jsonpath={.items[0].scope.name} {.items[0].results[0].policy} {.items[0].results[0].result} {.items[0].results[0].properties.process}',
    ]);
    expect(out.stdout).toBe('before trusted-registry-scan fail background scan');
  });

  it('rejects a ValidatingPolicy whose expression does not compile, at apply time', async () => {
    const bad = trustedRegistry('broken', ['Deny']).replace("registry() == 'registry.example.com'", 'registry() ==');
    expect(bad).toContain('registry() ==)');
    const out = await k.run(['apply', '-f', await k.file('bad.yaml', bad)]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      'admission webhook "validate-policy.kyverno.svc" denied the request: spec.validations[0].expression: Invalid value:',
    );
    expect(out.stderr).toContain('compilation failed: ERROR: <input>:1:');
  });

  it('serves ImageValidatingPolicy and says that verification needs the kind backend', async () => {
    const ivpol = stringify({
      apiVersion: 'policies.kyverno.io/v1',
      kind: 'ImageValidatingPolicy',
      metadata: { name: 'signed-images' },
      spec: {
        matchConstraints: {
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        },
        matchImageReferences: [{ glob: 'registry.example.com/*' }],
        attestors: [{ name: 'cosign', cosign: { key: { data: 'KEY' } } }],
        validations: [
          { expression: 'images.containers.map(i, verifyImageSignatures(i, [attestors.cosign])).all(e, e > 0)' },
        ],
      },
    });
    const out = await k.run(['apply', '-f', await k.file('ivpol.yaml', ivpol)]);
    expect(out.code, out.stderr + out.stdout).toBe(0);
    await k.cluster.settle();
    const ready = await k.run([
      'get',
      'ivpol',
      'signed-images',
      '-o',
      'jsonpath={.status.conditionStatus.ready} {.status.conditionStatus.message}',
    ]);
    expect(ready.stdout).toBe(
      'false Image signature and attestation verification needs a container registry: this policy is not enforced by the embedded cluster; use the kind backend.',
    );
  });
});
