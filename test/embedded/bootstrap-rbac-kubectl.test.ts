import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

/**
 * The default RBAC objects of a 1.34 kube-apiserver, as kubectl shows them. Names, rules and
 * subjects come from plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/
 * {cluster-roles,cluster-role-bindings,controller-roles,controller-role-bindings,
 * namespace-roles,namespace-role-bindings}.yaml.
 */
const binaries = kubectlBinaries(['1.31', '1.33']);

const controllers = [
  'attachdetach-controller',
  'certificate-controller',
  'clusterrole-aggregation-controller',
  'cronjob-controller',
  'daemon-set-controller',
  'deployment-controller',
  'disruption-controller',
  'endpoint-controller',
  'endpointslice-controller',
  'endpointslicemirroring-controller',
  'ephemeral-volume-controller',
  'expand-controller',
  'generic-garbage-collector',
  'horizontal-pod-autoscaler',
  'job-controller',
  'legacy-service-account-token-cleaner',
  'namespace-controller',
  'node-controller',
  'persistent-volume-binder',
  'pod-garbage-collector',
  'pv-protection-controller',
  'pvc-protection-controller',
  'replicaset-controller',
  'replication-controller',
  'resource-claim-controller',
  'resourcequota-controller',
  'root-ca-cert-publisher',
  'route-controller',
  'selinux-warning-controller',
  'service-account-controller',
  'service-cidrs-controller',
  'service-controller',
  'statefulset-controller',
  'ttl-after-finished-controller',
  'ttl-controller',
  'validatingadmissionpolicy-status-controller',
  'volumeattributesclass-protection-controller',
].map((c) => `system:controller:${c}`);

const clusterRoles = [
  'admin',
  'cluster-admin',
  'edit',
  'system:aggregate-to-admin',
  'system:aggregate-to-edit',
  'system:aggregate-to-view',
  'system:auth-delegator',
  'system:basic-user',
  'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
  'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
  'system:certificates.k8s.io:kube-apiserver-client-approver',
  'system:certificates.k8s.io:kube-apiserver-client-kubelet-approver',
  'system:certificates.k8s.io:kubelet-serving-approver',
  'system:certificates.k8s.io:legacy-unknown-approver',
  ...controllers,
  'system:discovery',
  'system:heapster',
  'system:kube-aggregator',
  'system:kube-controller-manager',
  'system:kube-dns',
  'system:kube-scheduler',
  'system:kubelet-api-admin',
  'system:monitoring',
  'system:node',
  'system:node-bootstrapper',
  'system:node-problem-detector',
  'system:node-proxier',
  'system:persistent-volume-provisioner',
  'system:public-info-viewer',
  'system:service-account-issuer-discovery',
  'system:volume-scheduler',
  'view',
].sort();

const clusterRoleBindings = [
  'cluster-admin',
  'system:basic-user',
  ...controllers,
  'system:discovery',
  'system:kube-controller-manager',
  'system:kube-dns',
  'system:kube-scheduler',
  'system:monitoring',
  'system:node',
  'system:node-proxier',
  'system:public-info-viewer',
  'system:service-account-issuer-discovery',
  'system:volume-scheduler',
].sort();

describe.skipIf(binaries.length === 0).each(binaries)('bootstrap RBAC policy with kubectl $version', ({ path }) => {
  const k = new KubectlHarness(path);
  beforeAll(() => k.start().then(() => undefined), 60_000);
  afterAll(() => k.stop());

  const names = async (...args: string[]) =>
    (await k.run(['get', ...args, '-o', 'custom-columns=NAME:.metadata.name', '--no-headers'])).stdout;

  it('creates every default ClusterRole and ClusterRoleBinding', async () => {
    expect(await names('clusterroles', '-l', 'kubernetes.io/bootstrapping=rbac-defaults')).toBe(
      clusterRoles.map((n) => `${n}\n`).join(''),
    );
    expect(await names('clusterrolebindings', '-l', 'kubernetes.io/bootstrapping=rbac-defaults')).toBe(
      clusterRoleBindings.map((n) => `${n}\n`).join(''),
    );
  });

  it('creates the Roles and RoleBindings of kube-system and kube-public (namespace_policy.go)', async () => {
    const roles = await k.run([
      'get',
      'roles,rolebindings',
      '-A',
      '-o',
      'custom-columns=NAMESPACE:.metadata.namespace,KIND:.kind,NAME:.metadata.name',
      '--no-headers',
    ]);
    expect(roles.stdout.replace(/ +/g, ' ')).toBe(
      [
        'kube-public Role system:controller:bootstrap-signer',
        'kube-system Role extension-apiserver-authentication-reader',
        'kube-system Role system::leader-locking-kube-controller-manager',
        'kube-system Role system::leader-locking-kube-scheduler',
        'kube-system Role system:controller:bootstrap-signer',
        'kube-system Role system:controller:cloud-provider',
        'kube-system Role system:controller:token-cleaner',
        'kube-public RoleBinding system:controller:bootstrap-signer',
        'kube-system RoleBinding system::extension-apiserver-authentication-reader',
        'kube-system RoleBinding system::leader-locking-kube-controller-manager',
        'kube-system RoleBinding system::leader-locking-kube-scheduler',
        'kube-system RoleBinding system:controller:bootstrap-signer',
        'kube-system RoleBinding system:controller:cloud-provider',
        'kube-system RoleBinding system:controller:token-cleaner',
        '',
      ].join('\n'),
    );
  });

  it('describes component roles and bindings rule for rule', async () => {
    expect((await k.run(['describe', 'clusterrole', 'system:node-proxier'])).stdout).toBe(
      [
        'Name:         system:node-proxier',
        'Labels:       kubernetes.io/bootstrapping=rbac-defaults',
        'Annotations:  rbac.authorization.kubernetes.io/autoupdate: true',
        'PolicyRule:',
        '  Resources                        Non-Resource URLs  Resource Names  Verbs',
        '  ---------                        -----------------  --------------  -----',
        '  events                           []                 []              [create patch update]',
        '  events.events.k8s.io             []                 []              [create patch update]',
        '  nodes                            []                 []              [get list watch]',
        '  endpoints                        []                 []              [list watch]',
        '  services                         []                 []              [list watch]',
        '  endpointslices.discovery.k8s.io  []                 []              [list watch]',
        '',
      ].join('\n'),
    );
    expect((await k.run(['describe', 'clusterrolebinding', 'system:kube-dns'])).stdout).toBe(
      [
        'Name:         system:kube-dns',
        'Labels:       kubernetes.io/bootstrapping=rbac-defaults',
        'Annotations:  rbac.authorization.kubernetes.io/autoupdate: true',
        'Role:',
        '  Kind:  ClusterRole',
        '  Name:  system:kube-dns',
        'Subjects:',
        '  Kind            Name      Namespace',
        '  ----            ----      ---------',
        '  ServiceAccount  kube-dns  kube-system',
        '',
      ].join('\n'),
    );
    // system:node has no subjects: the Node authorizer grants kubelets their access.
    const node = await k.run(['get', 'clusterrolebinding', 'system:node', '-o', 'jsonpath={.subjects}']);
    expect(node.stdout).toBe('');
  });

  it('authorizes controllers and groups through those bindings', async () => {
    const can = async (...args: string[]) => (await k.run(['auth', 'can-i', ...args])).stdout;
    expect(await can('create', 'replicasets', '--as=system:serviceaccount:kube-system:deployment-controller')).toBe(
      'yes\n',
    );
    expect(await can('create', 'secrets', '--as=system:serviceaccount:kube-system:deployment-controller')).toBe('no\n');
    expect(await can('get', '/metrics', '--as=prometheus', '--as-group=system:monitoring')).toBe('yes\n');
    expect(await can('get', '/metrics', '--as=someone')).toBe('no\n');
    expect(await can('list', 'secrets', '-A', '--as=system:kube-controller-manager')).toBe('yes\n');
    expect(await can('get', 'leases/kube-scheduler', '-n', 'kube-system', '--as=system:kube-scheduler')).toBe('yes\n');
  });
});

// Clusters share their bootstrap objects' rules in memory (frozen); a change in one cluster
// must never show in another (one learner can never reach another's cluster).
const latest = kubectlBinaries(['1.33'])[0];
describe.skipIf(!latest)('bootstrap objects stay per cluster', () => {
  const a = new KubectlHarness(latest?.path ?? 'kubectl');
  const b = new KubectlHarness(latest?.path ?? 'kubectl');
  beforeAll(() => Promise.all([a.start(), b.start()]).then(() => undefined), 60_000);
  afterAll(() => Promise.all([a.stop(), b.stop()]));

  it('a patched default ClusterRole changes in its own cluster only', async () => {
    const patch = '[{"op":"add","path":"/rules/0/verbs/-","value":"get"}]';
    expect((await a.run(['patch', 'clusterrole', 'system:kube-dns', '--type=json', '-p', patch])).stdout).toBe(
      'clusterrole.rbac.authorization.k8s.io/system:kube-dns patched\n',
    );
    expect((await a.run(['label', 'clusterrole', 'system:kube-dns', 'changed=yes'])).code).toBe(0);
    const verbs = ['get', 'clusterrole', 'system:kube-dns', '-o', 'jsonpath={.rules[0].verbs} {.metadata.labels}'];
    expect((await a.run(verbs)).stdout).toBe(
      '["list","watch","get"] {"changed":"yes","kubernetes.io/bootstrapping":"rbac-defaults"}',
    );
    expect((await b.run(verbs)).stdout).toBe('["list","watch"] {"kubernetes.io/bootstrapping":"rbac-defaults"}');
  });

  // The clusterrole-aggregation controller (pkg/controller/clusterroleaggregation) fills admin,
  // edit and view from the aggregate-to-* roles (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/
  // policy.go), and edit aggregates into admin and view into edit: true from the first request.
  it('starts with admin holding every rule of edit, and edit every rule of view', async () => {
    const rules = async (role: string) =>
      JSON.parse((await b.run(['get', 'clusterrole', role, '-o', 'jsonpath={.rules}'])).stdout) as unknown[];
    const [admin, edit, view] = await Promise.all([rules('admin'), rules('edit'), rules('view')]);
    const has = (outer: unknown[], rule: unknown) => outer.some((r) => JSON.stringify(r) === JSON.stringify(rule));
    expect(view.length).toBeGreaterThanOrEqual(8);
    expect(edit.filter((rule) => !has(admin, rule))).toEqual([]);
    expect(view.filter((rule) => !has(edit, rule))).toEqual([]);
    expect(admin.length).toBeGreaterThan(edit.length);
    expect(edit.length).toBeGreaterThan(view.length);
    expect(JSON.stringify(edit)).toContain('"deployments/scale"');
  });
});
