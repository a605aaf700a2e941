import type { KubeObject } from '../../storage/types.ts';
import { controllerRoles } from './controller-roles.ts';
import { core, eventsRule, listWatch, read, readWrite, rule, urls, write } from './policy-rules.ts';
import type { PolicyRule } from './rules.ts';

/**
 * Default ClusterRoles, Roles and their bindings, as kube-apiserver's RBAC bootstrap policy
 * creates them (plugin/pkg/auth/authorizer/rbac/bootstrappolicy: policy.go, controller_policy.go,
 * namespace_policy.go; the generated testdata/*.yaml). Not listed: rules and roles for APIs
 * this cluster does not serve behind 1.34's default feature gates (resource.k8s.io rules of
 * system:kube-scheduler and system:node, the device-taint-eviction controller).
 */

const bootstrapLabels = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const autoupdate = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

function clusterRole(
  name: string,
  rules: PolicyRule[] | null,
  extraLabels: Record<string, string> = {},
  aggregateFrom?: string,
): KubeObject {
  const role: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { ...bootstrapLabels, ...extraLabels }, annotations: { ...autoupdate } },
  };
  if (aggregateFrom) {
    role.aggregationRule = {
      clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/${aggregateFrom}`]: 'true' } }],
    };
    role.rules = [];
  } else {
    role.rules = rules ?? [];
  }
  return role;
}

const approver = (signer: string) =>
  clusterRole(`system:certificates.k8s.io:${signer}-approver`, [
    rule(['approve'], ['certificates.k8s.io'], ['signers'], [`kubernetes.io/${signer}`]),
  ]);

const reviews = [
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
];

export const bootstrapClusterRoles: KubeObject[] = [
  clusterRole('admin', null, {}, 'aggregate-to-admin'),
  clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  clusterRole('edit', null, { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' }, 'aggregate-to-edit'),
  clusterRole(
    'system:aggregate-to-admin',
    [
      { apiGroups: ['authorization.k8s.io'], resources: ['localsubjectaccessreviews'], verbs: ['create'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles'], verbs: readWrite },
    ],
    { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' },
  ),
  clusterRole(
    'system:aggregate-to-edit',
    [
      {
        apiGroups: [''],
        resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
        verbs: read,
      },
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
      {
        apiGroups: [''],
        resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'],
        verbs: write,
      },
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: [
          'configmaps',
          'events',
          'persistentvolumeclaims',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'secrets',
          'serviceaccounts',
          'services',
          'services/proxy',
        ],
        verbs: write,
      },
      { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
      {
        apiGroups: ['apps'],
        resources: [
          'daemonsets',
          'deployments',
          'deployments/rollback',
          'deployments/scale',
          'replicasets',
          'replicasets/scale',
          'statefulsets',
          'statefulsets/scale',
        ],
        verbs: write,
      },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: write },
      { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: write },
      {
        apiGroups: ['extensions'],
        resources: [
          'daemonsets',
          'deployments',
          'deployments/rollback',
          'deployments/scale',
          'ingresses',
          'networkpolicies',
          'replicasets',
          'replicasets/scale',
          'replicationcontrollers/scale',
        ],
        verbs: write,
      },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: write },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: write },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: readWrite },
    ],
    { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' },
  ),
  clusterRole(
    'system:aggregate-to-view',
    [
      {
        apiGroups: [''],
        resources: [
          'configmaps',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'pods',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/status',
        ],
        verbs: read,
      },
      {
        apiGroups: [''],
        resources: [
          'bindings',
          'events',
          'limitranges',
          'namespaces/status',
          'pods/log',
          'pods/status',
          'replicationcontrollers/status',
          'resourcequotas',
          'resourcequotas/status',
        ],
        verbs: read,
      },
      { apiGroups: [''], resources: ['namespaces'], verbs: read },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
      {
        apiGroups: ['apps'],
        resources: [
          'controllerrevisions',
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'statefulsets',
          'statefulsets/scale',
          'statefulsets/status',
        ],
        verbs: read,
      },
      {
        apiGroups: ['autoscaling'],
        resources: ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'],
        verbs: read,
      },
      { apiGroups: ['batch'], resources: ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], verbs: read },
      {
        apiGroups: ['extensions'],
        resources: [
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'ingresses',
          'ingresses/status',
          'networkpolicies',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'replicationcontrollers/scale',
        ],
        verbs: read,
      },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'], verbs: read },
      {
        apiGroups: ['networking.k8s.io'],
        resources: ['ingresses', 'ingresses/status', 'networkpolicies'],
        verbs: read,
      },
    ],
    { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' },
  ),
  clusterRole('system:auth-delegator', reviews),
  clusterRole('system:basic-user', [
    rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ]),
  clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [
    rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/nodeclient']),
  ]),
  clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [
    rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/selfnodeclient']),
  ]),
  approver('kube-apiserver-client'),
  approver('kube-apiserver-client-kubelet'),
  approver('kubelet-serving'),
  approver('legacy-unknown'),
  clusterRole('system:discovery', [
    urls(
      ['get'],
      [
        '/api',
        '/api/*',
        '/apis',
        '/apis/*',
        '/healthz',
        '/livez',
        '/openapi',
        '/openapi/*',
        '/readyz',
        '/version',
        '/version/',
      ],
    ),
  ]),
  clusterRole('system:heapster', [
    rule(read, core, ['events', 'namespaces', 'nodes', 'pods']),
    rule(read, ['extensions'], ['deployments']),
  ]),
  clusterRole('system:kube-aggregator', [rule(read, core, ['endpoints', 'services'])]),
  clusterRole('system:kube-controller-manager', [
    eventsRule,
    rule(['create'], ['coordination.k8s.io'], ['leases']),
    rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
    rule(['create'], core, ['secrets', 'serviceaccounts']),
    rule(['delete'], core, ['secrets']),
    rule(['get'], core, ['configmaps', 'namespaces', 'secrets', 'serviceaccounts']),
    rule(['update'], core, ['secrets', 'serviceaccounts']),
    ...reviews,
    rule(listWatch, ['*'], ['*']),
    rule(['create'], core, ['serviceaccounts/token']),
  ]),
  clusterRole('system:kube-dns', [rule(listWatch, core, ['endpoints', 'services'])]),
  clusterRole('system:kube-scheduler', [
    eventsRule,
    rule(['create'], ['coordination.k8s.io'], ['leases']),
    rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
    rule(read, core, ['nodes']),
    rule(['delete', 'get', 'list', 'watch'], core, ['pods']),
    rule(['create'], core, ['bindings', 'pods/binding']),
    rule(['patch', 'update'], core, ['pods/status']),
    rule(read, core, ['replicationcontrollers', 'services']),
    rule(read, ['apps', 'extensions'], ['replicasets']),
    rule(read, ['apps'], ['statefulsets']),
    rule(read, ['policy'], ['poddisruptionbudgets']),
    rule(read, core, ['persistentvolumeclaims', 'persistentvolumes']),
    ...reviews,
    rule(read, ['storage.k8s.io'], ['csinodes']),
    rule(read, core, ['namespaces']),
    rule(read, ['storage.k8s.io'], ['csidrivers']),
    rule(read, ['storage.k8s.io'], ['csistoragecapacities']),
  ]),
  clusterRole('system:kubelet-api-admin', [
    rule(read, core, ['nodes']),
    rule(['proxy'], core, ['nodes']),
    rule(['*'], core, ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/stats']),
  ]),
  clusterRole('system:monitoring', [
    urls(
      ['get'],
      ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*'],
    ),
  ]),
  clusterRole('system:node', [
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews', 'subjectaccessreviews']),
    rule(read, core, ['services']),
    rule(['create', 'get', 'list', 'watch'], core, ['nodes']),
    rule(['patch', 'update'], core, ['nodes/status']),
    rule(['patch', 'update'], core, ['nodes']),
    rule(['create', 'patch', 'update'], core, ['events']),
    rule(read, core, ['pods']),
    rule(['create', 'delete'], core, ['pods']),
    rule(['patch', 'update'], core, ['pods/status']),
    rule(['create'], core, ['pods/eviction']),
    rule(read, core, ['configmaps', 'secrets']),
    rule(['get'], core, ['persistentvolumeclaims', 'persistentvolumes']),
    rule(['get'], core, ['endpoints']),
    rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
    rule(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
    rule(['get'], ['storage.k8s.io'], ['volumeattachments']),
    rule(['create'], core, ['serviceaccounts/token']),
    rule(['get', 'patch', 'update'], core, ['persistentvolumeclaims/status']),
    rule(read, ['storage.k8s.io'], ['csidrivers']),
    rule(['create', 'delete', 'get', 'patch', 'update'], ['storage.k8s.io'], ['csinodes']),
    rule(read, ['node.k8s.io'], ['runtimeclasses']),
  ]),
  clusterRole('system:node-bootstrapper', [
    rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
  ]),
  clusterRole('system:node-problem-detector', [
    rule(['get'], core, ['nodes']),
    rule(['patch'], core, ['nodes/status']),
    eventsRule,
  ]),
  clusterRole('system:node-proxier', [
    rule(listWatch, core, ['endpoints', 'services']),
    rule(read, core, ['nodes']),
    eventsRule,
    rule(listWatch, ['discovery.k8s.io'], ['endpointslices']),
  ]),
  clusterRole('system:persistent-volume-provisioner', [
    rule(['create', 'delete', 'get', 'list', 'watch'], core, ['persistentvolumes']),
    rule(['get', 'list', 'update', 'watch'], core, ['persistentvolumeclaims']),
    rule(read, ['storage.k8s.io'], ['storageclasses']),
    rule(['watch'], core, ['events']),
    eventsRule,
  ]),
  clusterRole('system:public-info-viewer', [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
  clusterRole('system:service-account-issuer-discovery', [
    urls(
      ['get'],
      [
        '/.well-known/openid-configuration',
        '/.well-known/openid-configuration/',
        '/openid/v1/jwks',
        '/openid/v1/jwks/',
      ],
    ),
  ]),
  clusterRole('system:volume-scheduler', [
    rule(['get', 'list', 'patch', 'update', 'watch'], core, ['persistentvolumes']),
    rule(read, ['storage.k8s.io'], ['storageclasses']),
    rule(['get', 'list', 'patch', 'update', 'watch'], core, ['persistentvolumeclaims']),
  ]),
  clusterRole('view', null, { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }, 'aggregate-to-view'),
  ...Object.entries(controllerRoles).map(([name, rules]) => clusterRole(`system:controller:${name}`, rules)),
];

type Subject = { kind: 'Group' | 'User' | 'ServiceAccount'; name: string; namespace?: string };
const group = (name: string): Subject => ({ kind: 'Group', name });
const user = (name: string): Subject => ({ kind: 'User', name });
const serviceAccount = (name: string, namespace = 'kube-system'): Subject => ({
  kind: 'ServiceAccount',
  name,
  namespace,
});

function subjectsOf(subjects: Subject[]) {
  return subjects.map((s) =>
    s.kind === 'ServiceAccount' ? { ...s } : { apiGroup: 'rbac.authorization.k8s.io', kind: s.kind, name: s.name },
  );
}

function binding(name: string, role: string, subjects: Subject[]): KubeObject {
  const object: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  };
  // system:node has no subjects: nodes are authorized by the Node authorizer instead.
  if (subjects.length) object.subjects = subjectsOf(subjects);
  return object;
}

const sameName = (name: string, subjects: Subject[]) => binding(name, name, subjects);

export const bootstrapClusterRoleBindings: KubeObject[] = [
  sameName('cluster-admin', [group('system:masters')]),
  sameName('system:basic-user', [group('system:authenticated')]),
  sameName('system:discovery', [group('system:authenticated')]),
  sameName('system:kube-controller-manager', [user('system:kube-controller-manager')]),
  sameName('system:kube-dns', [serviceAccount('kube-dns')]),
  sameName('system:kube-scheduler', [user('system:kube-scheduler')]),
  sameName('system:monitoring', [group('system:monitoring')]),
  sameName('system:node', []),
  sameName('system:node-proxier', [user('system:kube-proxy')]),
  sameName('system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
  sameName('system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
  sameName('system:volume-scheduler', [user('system:kube-scheduler')]),
  ...Object.keys(controllerRoles).map((name) => sameName(`system:controller:${name}`, [serviceAccount(name)])),
];

function role(namespace: string, name: string, rules: PolicyRule[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace, labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    rules,
  };
}

function roleBinding(namespace: string, name: string, roleName: string, subjects: Subject[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace, labels: { ...bootstrapLabels }, annotations: { ...autoupdate } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
    subjects: subjectsOf(subjects),
  };
}

const leaderLocking = [
  rule(['create', 'get', 'list', 'update', 'watch'], ['coordination.k8s.io'], ['leases']),
  rule(['create', 'get', 'list', 'update', 'watch'], ['coordination.k8s.io'], ['leasecandidates']),
];

/** Roles in kube-system and kube-public (namespace_policy.go). */
export const bootstrapRoles: KubeObject[] = [
  role('kube-public', 'system:controller:bootstrap-signer', [
    rule(read, core, ['configmaps']),
    rule(['update'], core, ['configmaps'], ['cluster-info']),
    eventsRule,
  ]),
  role('kube-system', 'extension-apiserver-authentication-reader', [
    rule(read, core, ['configmaps'], ['extension-apiserver-authentication']),
  ]),
  role('kube-system', 'system::leader-locking-kube-controller-manager', leaderLocking),
  role('kube-system', 'system::leader-locking-kube-scheduler', leaderLocking),
  role('kube-system', 'system:controller:bootstrap-signer', [rule(read, core, ['secrets'])]),
  role('kube-system', 'system:controller:cloud-provider', [
    rule(['create', 'get', 'list', 'watch'], core, ['configmaps']),
  ]),
  role('kube-system', 'system:controller:token-cleaner', [
    rule(['delete', 'get', 'list', 'watch'], core, ['secrets']),
    eventsRule,
  ]),
];

export const bootstrapRoleBindings: KubeObject[] = [
  roleBinding('kube-public', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', [
    serviceAccount('bootstrap-signer'),
  ]),
  roleBinding(
    'kube-system',
    'system::extension-apiserver-authentication-reader',
    'extension-apiserver-authentication-reader',
    [user('system:kube-controller-manager'), user('system:kube-scheduler')],
  ),
  roleBinding(
    'kube-system',
    'system::leader-locking-kube-controller-manager',
    'system::leader-locking-kube-controller-manager',
    [
      user('system:kube-controller-manager'),
      serviceAccount('kube-controller-manager'),
      serviceAccount('leader-election-controller'),
    ],
  ),
  roleBinding('kube-system', 'system::leader-locking-kube-scheduler', 'system::leader-locking-kube-scheduler', [
    user('system:kube-scheduler'),
    serviceAccount('kube-scheduler'),
  ]),
  roleBinding('kube-system', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', [
    serviceAccount('bootstrap-signer'),
  ]),
  roleBinding('kube-system', 'system:controller:cloud-provider', 'system:controller:cloud-provider', [
    serviceAccount('cloud-provider'),
  ]),
  roleBinding('kube-system', 'system:controller:token-cleaner', 'system:controller:token-cleaner', [
    serviceAccount('token-cleaner'),
  ]),
];
