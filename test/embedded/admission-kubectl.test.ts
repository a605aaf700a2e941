import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';
import { projectRoot } from '../helpers/project.ts';

const binary = kubectlBinaries(['1.32'])[0];

const pod = (name: string, image: string, securityContext?: object) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'app', image, ...(securityContext ? { securityContext } : {}) }] },
  });

const restrictedContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  runAsUser: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
};

const trustedRepoPolicy = (action: 'Enforce' | 'Audit', name = 'require-trusted-repo') =>
  stringify({
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: {
      name,
      annotations: { 'policies.kyverno.io/category': 'Supply chain', 'policies.kyverno.io/severity': 'high' },
    },
    spec: {
      background: true,
      rules: [
        {
          name: 'trusted-registry',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          validate: {
            failureAction: action,
            message: 'Images must come from trusted-repo/.',
            pattern: { spec: { containers: [{ image: 'trusted-repo/*' }] } },
          },
        },
      ],
    },
  });

describe.skipIf(!binary)('admission through real kubectl 1.32', () => {
  const k = new KubectlHarness(binary?.path ?? 'kubectl');
  beforeAll(async () => {
    await k.start();
    await k.run(['apply', '-f', `${projectRoot}/server/cluster/embedded/addons/kyverno/crds.yaml`]);
    await k.cluster.settle();
  }, 60_000);
  afterAll(() => k.stop());

  it('prints the Pod Security denial exactly', async () => {
    await k.run(['create', 'namespace', 'locked']);
    await k.run(['label', 'namespace', 'locked', 'pod-security.kubernetes.io/enforce=restricted']);
    const out = await k.run(['apply', '-n', 'locked', '-f', await k.file('nginx.yaml', pod('nginx', 'nginx:1.27'))]);
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      'Error from server (Forbidden): error when creating "' +
        `${k.home}/nginx.yaml` +
        '": pods "nginx" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")\n',
    );
    const fine = await k.run([
      'apply',
      '-n',
      'locked',
      '-f',
      await k.file('hardened.yaml', pod('hardened', 'nginx:1.27', restrictedContext)),
    ]);
    expect(fine.stdout).toBe('pod/hardened created\n');
  });

  it('prints the Pod Security warning for warn mode and for workloads', async () => {
    await k.run(['create', 'namespace', 'watched']);
    await k.run([
      'label',
      'namespace',
      'watched',
      'pod-security.kubernetes.io/warn=restricted',
      'pod-security.kubernetes.io/warn-version=v1.32',
    ]);
    const out = await k.run([
      'apply',
      '-n',
      'watched',
      '-f',
      await k.file(
        'root.yaml',
        pod('root', 'nginx:1.27', { ...restrictedContext, runAsNonRoot: undefined, runAsUser: undefined }),
      ),
    ]);
    expect(out.stderr).toBe(
      'Warning: would violate PodSecurity "restricted:v1.32": runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)\n',
    );
    expect(out.stdout).toBe('pod/root created\n');
    const deploy = await k.run(['create', 'deployment', 'web', '-n', 'watched', '--image=nginx:1.27']);
    expect(deploy.stderr).toContain(
      'Warning: would violate PodSecurity "restricted:v1.32": allowPrivilegeEscalation != false',
    );
    expect(deploy.stdout).toBe('deployment.apps/web created\n');
  });

  // staging/src/k8s.io/pod-security-admission/admission/admission.go: ValidatePod allows an
  // UPDATE that isSignificantPodUpdate finds nothing in (images, containers, ephemeral ones);
  // ValidatePodController has no such short-circuit, so a workload warns on every update.
  it('re-checks a pod update only when an image changes, a workload on every update', async () => {
    await k.run(['create', 'namespace', 'updates']);
    await k.run(['label', 'namespace', 'updates', 'pod-security.kubernetes.io/warn=restricted']);
    await k.run(['apply', '-n', 'updates', '-f', await k.file('plain.yaml', pod('plain', 'nginx:1.27'))]);
    const labelled = await k.run(['label', 'pod', 'plain', '-n', 'updates', 'tier=web']);
    expect(labelled.stderr).toBe('');
    expect(labelled.stdout).toBe('pod/plain labeled\n');
    const image = await k.run(['set', 'image', 'pod/plain', '-n', 'updates', 'app=nginx:1.28']);
    expect(image.stderr).toMatch(
      /^Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
    );
    await k.run(['create', 'deployment', 'shop', '-n', 'updates', '--image=nginx:1.27']);
    const workload = await k.run(['label', 'deployment', 'shop', '-n', 'updates', 'tier=web']);
    expect(workload.stderr).toMatch(
      /^Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
    );
    expect(workload.stdout).toBe('deployment.apps/shop labeled\n');

    // Enforce: a pod admitted before the namespace was tightened keeps taking metadata updates.
    await k.run(['label', 'namespace', 'updates', 'pod-security.kubernetes.io/enforce=restricted']);
    expect((await k.run(['annotate', 'pod', 'plain', '-n', 'updates', 'note=kept'])).stdout).toBe(
      'pod/plain annotated\n',
    );
    const denied = await k.run(['set', 'image', 'pod/plain', '-n', 'updates', 'app=nginx:1.29']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('pods "plain" is forbidden: violates PodSecurity "restricted:latest": ');
  });

  it('warns about existing pods when a namespace is tightened, and rejects bad labels', async () => {
    const out = await k.run(['label', 'namespace', 'watched', 'pod-security.kubernetes.io/enforce=restricted']);
    expect(out.stderr).toContain(
      'Warning: existing pods in namespace "watched" violate the new PodSecurity enforce level "restricted:latest"',
    );
    expect(out.stderr).toMatch(/Warning: root: runAsNonRoot != true\n/);
    const bad = await k.run(['label', 'namespace', 'watched', 'pod-security.kubernetes.io/audit=superstrict']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "superstrict": must be one of privileged, baseline, restricted',
    );
  });

  it('blocks untrusted images with the Kyverno webhook text, for Pods and (autogen) Deployments', async () => {
    const policy = await k.file('policy.yaml', trustedRepoPolicy('Enforce'));
    expect((await k.run(['apply', '-f', policy])).stdout).toBe(
      'clusterpolicy.kyverno.io/require-trusted-repo created\n',
    );
    await k.cluster.settle();
    expect(
      (
        await k.run([
          'get',
          'cpol',
          'require-trusted-repo',
          '-o',
          'jsonpath={.status.conditions[0].type}={.status.conditions[0].status}',
        ])
      ).stdout,
    ).toBe('Ready=True');
    const denied = await k.run(['apply', '-f', await k.file('latest.yaml', pod('web', 'nginx:latest'))]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(
      `Error from server: error when creating "${k.home}/latest.yaml": admission webhook "validate.kyverno.svc-fail" denied the request: \n\nresource Pod/default/web was blocked due to the following policies \n\nrequire-trusted-repo:\n  trusted-registry: 'validation error: Images must come from trusted-repo/. rule trusted-registry failed at path /spec/containers/0/image/'\n`,
    );
    expect((await k.run(['run', 'app', '--image=trusted-repo/app:1.0'])).stdout).toBe('pod/app created\n');
    const deployment = await k.run(['create', 'deployment', 'web', '--image=nginx:latest']);
    expect(deployment.stderr).toContain('resource Deployment/default/web was blocked due to the following policies');
    expect(deployment.stderr).toContain(
      "autogen-trusted-registry: 'validation error: Images must come from trusted-repo/. rule autogen-trusted-registry failed at path /spec/template/spec/containers/0/image/'",
    );
    const dryRun = await k.run(['run', 'probe', '--image=nginx:latest', '--dry-run=server']);
    expect(dryRun.code).toBe(1);
    expect(dryRun.stderr).toContain('admission webhook "validate.kyverno.svc-fail" denied the request');
    await k.run(['delete', 'cpol', 'require-trusted-repo']);
  });

  it('records Audit results in a PolicyReport', async () => {
    await k.run(['apply', '-f', await k.file('audit.yaml', trustedRepoPolicy('Audit', 'audit-trusted-repo'))]);
    await k.cluster.settle();
    expect((await k.run(['run', 'audited', '--image=nginx:latest'])).stdout).toBe('pod/audited created\n');
    const uid = (await k.run(['get', 'pod', 'audited', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const reports = await k.run(['get', 'policyreports']);
    expect(reports.stdout).toMatch(new RegExp(`^${uid}\\s+0\\s+1\\s+0\\s+0\\s+0\\s+\\S+$`, 'm'));
    const result = await k.run([
      'get',
      'policyreport',
      uid,
      '-o',
      'jsonpath={.scope.kind}/{.scope.name} {.results[0].policy} {.results[0].rule} {.results[0].result} {.results[0].category} {.results[0].severity}|{.results[0].message}',
    ]);
    expect(result.stdout).toBe(
      'Pod/audited audit-trusted-repo trusted-registry fail Supply chain high|validation error: Images must come from trusted-repo/. rule trusted-registry failed at path /spec/containers/0/image/',
    );
  });

  it('rejects invalid policies with Kyverno messages', async () => {
    const base = { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'broken' } };
    const rule = (extra: object) => ({ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, ...extra });
    const cases: Array<[object, string]> = [
      [{ spec: { rules: [rule({ validate: { pattern: { metadata: { '(name': 'x' } } } })] } }, 'invalid anchor (name'],
      [
        {
          spec: {
            rules: [
              rule({ validate: { deny: { conditions: { any: [{ key: 'a', operator: 'Resembles', value: 'b' }] } } } }),
            ],
          },
        },
        'entered value of `operator` is invalid: "Resembles"',
      ],
      [
        {
          spec: {
            background: true,
            rules: [rule({ validate: { message: 'by {{request.userInfo.username}}', deny: {} } })],
          },
        },
        'only select variables are allowed in background mode. Set spec.background=false',
      ],
      [
        {
          spec: {
            rules: [
              {
                name: 'r',
                match: { any: [{ resources: { kinds: ['Pod'] }, clusterRoles: ['cluster-admin'] }] },
                validate: { deny: {} },
              },
            ],
          },
        },
        'only select variables are allowed in background mode',
      ],
    ];
    for (const [spec, text] of cases) {
      const out = await k.run(['apply', '-f', await k.file('broken.yaml', stringify({ ...base, ...spec }))]);
      expect(out.code, text).toBe(1);
      expect(out.stderr).toContain('admission webhook "validate-policy.kyverno.svc" denied the request: ');
      expect(out.stderr).toContain(text);
    }
    expect((await k.run(['get', 'cpol', 'broken'])).code).toBe(1);
  });

  it('reports a mutate policy Ready, now that the engine runs mutate rules', async () => {
    const mutate = stringify({
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name: 'add-labels' },
      spec: {
        rules: [
          {
            name: 'add',
            match: { any: [{ resources: { kinds: ['Pod'] } }] },
            mutate: { patchStrategicMerge: { metadata: { labels: { a: 'b' } } } },
          },
        ],
      },
    });
    await k.run(['apply', '-f', await k.file('mutate.yaml', mutate)]);
    await k.cluster.settle();
    const out = await k.run(['get', 'cpol', 'add-labels']);
    expect(out.stdout).toMatch(/add-labels\s+true\s+true\s+True\s+\S+\s+Ready/);
  });
});
