import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Attributes } from '../../server/cluster/embedded/authorization/authorizer.ts';
import { RbacAuthorizer } from '../../server/cluster/embedded/authorization/rbac/authorizer.ts';
import {
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
} from '../../server/cluster/embedded/authorization/rbac/bootstrap.ts';
import { compactString, uncoveredRules } from '../../server/cluster/embedded/authorization/rbac/rules.ts';
import { Store } from '../../server/cluster/embedded/storage/store.ts';
import type { KubeObject } from '../../server/cluster/embedded/storage/types.ts';
import { projectRoot } from '../helpers/project.ts';

const rbac = 'rbac.authorization.k8s.io';
const store = new Store();
const put = (resource: string, object: Omit<KubeObject, 'apiVersion'> & { apiVersion?: string }) =>
  store.put(resource, { apiVersion: `${rbac}/v1`, ...object } as KubeObject);

// Roles written from the examples of the Kubernetes RBAC documentation.
put('roles.rbac.authorization.k8s.io', {
  kind: 'Role',
  metadata: { name: 'pod-reader', namespace: 'default' },
  rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch', 'list'] }],
});
put('roles.rbac.authorization.k8s.io', {
  kind: 'Role',
  metadata: { name: 'pod-and-pod-logs-reader', namespace: 'default' },
  rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }],
});
put('roles.rbac.authorization.k8s.io', {
  kind: 'Role',
  metadata: { name: 'configmap-updater', namespace: 'default' },
  rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['my-configmap'], verbs: ['update', 'get'] }],
});
put('roles.rbac.authorization.k8s.io', {
  kind: 'Role',
  metadata: { name: 'exec', namespace: 'dev' },
  rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] }],
});
put('roles.rbac.authorization.k8s.io', {
  kind: 'Role',
  metadata: { name: 'everything', namespace: 'sandbox' },
  rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
});
put('roles.rbac.authorization.k8s.io', {
  kind: 'Role',
  metadata: { name: 'scaler', namespace: 'dev' },
  rules: [{ apiGroups: ['apps'], resources: ['*/scale'], verbs: ['patch', 'get'] }],
});
put('roles.rbac.authorization.k8s.io', {
  kind: 'Role',
  metadata: { name: 'deploy-subs', namespace: 'dev' },
  rules: [{ apiGroups: ['apps'], resources: ['deployments/*'], verbs: ['get'] }],
});
put('roles.rbac.authorization.k8s.io', {
  kind: 'Role',
  metadata: { name: 'odd-verbs', namespace: 'dev' },
  rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['frobnicate'] }],
});
put('clusterroles.rbac.authorization.k8s.io', {
  kind: 'ClusterRole',
  metadata: { name: 'secret-reader' },
  rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] }],
});
put('clusterroles.rbac.authorization.k8s.io', {
  kind: 'ClusterRole',
  metadata: { name: 'node-reader' },
  rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'watch', 'list'] }],
});
put('clusterroles.rbac.authorization.k8s.io', {
  kind: 'ClusterRole',
  metadata: { name: 'healthz' },
  rules: [{ nonResourceURLs: ['/healthz', '/healthz/*'], verbs: ['get', 'post'] }],
});
put('clusterroles.rbac.authorization.k8s.io', {
  kind: 'ClusterRole',
  metadata: { name: 'deployments-all-groups' },
  rules: [
    {
      apiGroups: ['apps', 'extensions'],
      resources: ['deployments'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    },
  ],
});
put('clusterroles.rbac.authorization.k8s.io', {
  kind: 'ClusterRole',
  metadata: { name: 'impersonator' },
  rules: [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['jane'] }],
});

const user = (name: string, groups: string[] = []) => ({ username: name, groups: [...groups, 'system:authenticated'] });
const sub = (kind: string, name: string, namespace?: string) =>
  kind === 'ServiceAccount' ? { kind, name, ...(namespace ? { namespace } : {}) } : { kind, name, apiGroup: rbac };
const bind = (ns: string, name: string, roleKind: string, role: string, subjects: object[]) =>
  put('rolebindings.rbac.authorization.k8s.io', {
    kind: 'RoleBinding',
    metadata: { name, namespace: ns },
    roleRef: { apiGroup: rbac, kind: roleKind, name: role },
    subjects,
  });
const cbind = (name: string, role: string, subjects: object[]) =>
  put('clusterrolebindings.rbac.authorization.k8s.io', {
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: role },
    subjects,
  });

bind('default', 'read-pods', 'Role', 'pod-reader', [sub('User', 'jane')]);
bind('default', 'logs', 'Role', 'pod-and-pod-logs-reader', [sub('Group', 'dev')]);
bind('default', 'cm', 'Role', 'configmap-updater', [sub('User', 'carol')]);
bind('dev', 'exec', 'Role', 'exec', [sub('ServiceAccount', 'debugger')]);
bind('dev', 'read-secrets', 'ClusterRole', 'secret-reader', [sub('User', 'dave')]);
bind('sandbox', 'all', 'Role', 'everything', [sub('Group', 'sandboxers')]);
bind('dev', 'scale', 'Role', 'scaler', [sub('User', 'erin')]);
bind('dev', 'subs', 'Role', 'deploy-subs', [sub('User', 'erin')]);
bind('dev', 'odd', 'Role', 'odd-verbs', [sub('User', 'erin')]);
bind('dev', 'ghost', 'Role', 'does-not-exist', [sub('User', 'frank')]);
bind('dev', 'sa-other-ns', 'ClusterRole', 'node-reader', [sub('ServiceAccount', 'builder', 'ci')]);
cbind('read-secrets-global', 'secret-reader', [sub('Group', 'manager')]);
cbind('read-nodes', 'node-reader', [sub('User', 'ops')]);
cbind('health', 'healthz', [sub('Group', 'system:authenticated')]);
cbind('deployers', 'deployments-all-groups', [sub('ServiceAccount', 'deployer', 'ci')]);
cbind('imp', 'impersonator', [sub('User', 'support')]);
cbind('ghost-cluster', 'missing-cluster-role', [sub('Group', 'dev')]);

const authorizer = new RbacAuthorizer(store);

type Case = [string, { username: string; groups: string[] }, Partial<Attributes>, boolean];
const res = (verb: string, resource: string, namespace = '', extra: Partial<Attributes> = {}): Partial<Attributes> => ({
  verb,
  resource,
  namespace,
  isResourceRequest: true,
  ...extra,
});
const sa = (ns: string, name: string) => ({
  username: `system:serviceaccount:${ns}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
});

const cases: Case[] = [
  ['Role grants get pods in its namespace', user('jane'), res('get', 'pods', 'default', { name: 'web' }), true],
  ['Role grants list pods', user('jane'), res('list', 'pods', 'default'), true],
  ['Role grants watch pods', user('jane'), res('watch', 'pods', 'default'), true],
  ['Role does not grant delete', user('jane'), res('delete', 'pods', 'default', { name: 'web' }), false],
  ['Role does not grant create', user('jane'), res('create', 'pods', 'default'), false],
  ['Role is limited to its namespace', user('jane'), res('list', 'pods', 'kube-system'), false],
  ['Role does not grant cluster-wide list', user('jane'), res('list', 'pods', ''), false],
  ['Role does not grant other resources', user('jane'), res('list', 'services', 'default'), false],
  [
    'pods does not cover pods/log',
    user('jane'),
    res('get', 'pods', 'default', { name: 'web', subresource: 'log' }),
    false,
  ],
  [
    'pods does not cover pods/exec',
    user('jane'),
    res('create', 'pods', 'default', { name: 'web', subresource: 'exec' }),
    false,
  ],
  ['core group rule does not match apps', user('jane'), res('list', 'pods', 'default', { apiGroup: 'apps' }), false],
  [
    'Group subject grants pods/log',
    user('bob', ['dev']),
    res('get', 'pods', 'default', { name: 'web', subresource: 'log' }),
    true,
  ],
  ['Group subject grants pods', user('bob', ['dev']), res('list', 'pods', 'default'), true],
  ['user without the group is denied', user('bob'), res('list', 'pods', 'default'), false],
  [
    'Group subject does not grant update',
    user('bob', ['dev']),
    res('update', 'pods', 'default', { name: 'web' }),
    false,
  ],
  [
    'resourceNames allows the named object',
    user('carol'),
    res('get', 'configmaps', 'default', { name: 'my-configmap' }),
    true,
  ],
  [
    'resourceNames allows update of the named object',
    user('carol'),
    res('update', 'configmaps', 'default', { name: 'my-configmap' }),
    true,
  ],
  ['resourceNames denies other names', user('carol'), res('get', 'configmaps', 'default', { name: 'other' }), false],
  ['resourceNames cannot restrict list', user('carol'), res('list', 'configmaps', 'default'), false],
  ['resourceNames cannot restrict create', user('carol'), res('create', 'configmaps', 'default'), false],
  [
    'ServiceAccount subject defaults to the binding namespace',
    sa('dev', 'debugger'),
    res('create', 'pods', 'dev', { name: 'web', subresource: 'exec' }),
    true,
  ],
  [
    'pods/exec get for WebSocket exec',
    sa('dev', 'debugger'),
    res('get', 'pods', 'dev', { name: 'web', subresource: 'exec' }),
    true,
  ],
  ['pods/exec does not grant pods', sa('dev', 'debugger'), res('get', 'pods', 'dev', { name: 'web' }), false],
  [
    'same SA name in another namespace is denied',
    sa('other', 'debugger'),
    res('create', 'pods', 'dev', { name: 'web', subresource: 'exec' }),
    false,
  ],
  ['SA subject with explicit namespace', sa('ci', 'builder'), res('list', 'nodes', 'dev'), true],
  ['SA subject with explicit namespace only', sa('dev', 'builder'), res('list', 'nodes', 'dev'), false],
  [
    'RoleBinding to a ClusterRole grants in that namespace',
    user('dave'),
    res('get', 'secrets', 'dev', { name: 's' }),
    true,
  ],
  [
    'RoleBinding to a ClusterRole does not grant elsewhere',
    user('dave'),
    res('get', 'secrets', 'default', { name: 's' }),
    false,
  ],
  ['RoleBinding to a ClusterRole does not grant cluster-wide', user('dave'), res('list', 'secrets', ''), false],
  [
    'ClusterRoleBinding grants in every namespace',
    user('mia', ['manager']),
    res('get', 'secrets', 'default', { name: 's' }),
    true,
  ],
  ['ClusterRoleBinding grants across namespaces', user('mia', ['manager']), res('list', 'secrets', ''), true],
  [
    'ClusterRoleBinding does not grant write',
    user('mia', ['manager']),
    res('delete', 'secrets', 'default', { name: 's' }),
    false,
  ],
  ['cluster-scoped resource through ClusterRoleBinding', user('ops'), res('list', 'nodes'), true],
  ['cluster-scoped get through ClusterRoleBinding', user('ops'), res('get', 'nodes', '', { name: 'n1' }), true],
  ['cluster-scoped resource denied without binding', user('jane'), res('list', 'nodes'), false],
  [
    'wildcards grant everything in the namespace',
    user('s', ['sandboxers']),
    res('delete', 'deployments', 'sandbox', { apiGroup: 'apps', name: 'x' }),
    true,
  ],
  [
    'wildcards cover subresources',
    user('s', ['sandboxers']),
    res('create', 'pods', 'sandbox', { name: 'x', subresource: 'exec' }),
    true,
  ],
  [
    'wildcards cover custom resources',
    user('s', ['sandboxers']),
    res('create', 'clusterpolicies', 'sandbox', { apiGroup: 'kyverno.io' }),
    true,
  ],
  ['wildcards stay in their namespace', user('s', ['sandboxers']), res('get', 'pods', 'default', { name: 'x' }), false],
  ['wildcards in a Role do not grant cluster scope', user('s', ['sandboxers']), res('list', 'nodes'), false],
  [
    '*/scale grants deployments/scale',
    user('erin'),
    res('patch', 'deployments', 'dev', { apiGroup: 'apps', name: 'd', subresource: 'scale' }),
    true,
  ],
  [
    '*/scale grants statefulsets/scale',
    user('erin'),
    res('get', 'statefulsets', 'dev', { apiGroup: 'apps', name: 's', subresource: 'scale' }),
    true,
  ],
  [
    '*/scale does not grant the parent',
    user('erin'),
    res('patch', 'deployments', 'dev', { apiGroup: 'apps', name: 'd' }),
    false,
  ],
  [
    '*/scale does not grant status',
    user('erin'),
    res('get', 'statefulsets', 'dev', { apiGroup: 'apps', name: 's', subresource: 'status' }),
    false,
  ],
  [
    'deployments/* covers deployments/status',
    user('erin'),
    res('get', 'deployments', 'dev', { apiGroup: 'apps', name: 'd', subresource: 'status' }),
    true,
  ],
  [
    'deployments/* does not cover the deployment',
    user('erin'),
    res('list', 'deployments', 'dev', { apiGroup: 'apps' }),
    false,
  ],
  ['unknown verbs are stored and match only themselves', user('erin'), res('frobnicate', 'pods', 'dev'), true],
  ['unknown verbs grant nothing else', user('erin'), res('get', 'pods', 'dev', { name: 'p' }), false],
  ['binding to a missing Role grants nothing', user('frank'), res('get', 'pods', 'dev', { name: 'p' }), false],
  ['binding to a missing ClusterRole grants nothing', user('bob', ['dev']), res('list', 'pods', 'kube-system'), false],
  [
    'several apiGroups in one rule: apps',
    sa('ci', 'deployer'),
    res('create', 'deployments', 'prod', { apiGroup: 'apps' }),
    true,
  ],
  [
    'several apiGroups in one rule: extensions',
    sa('ci', 'deployer'),
    res('update', 'deployments', 'prod', { apiGroup: 'extensions', name: 'd' }),
    true,
  ],
  [
    'apiGroup not in the rule',
    sa('ci', 'deployer'),
    res('create', 'deployments', 'prod', { apiGroup: 'example.com' }),
    false,
  ],
  [
    'verb not in the rule',
    sa('ci', 'deployer'),
    res('deletecollection', 'deployments', 'prod', { apiGroup: 'apps' }),
    false,
  ],
  ['nonResourceURL exact', user('anyone'), { isResourceRequest: false, verb: 'get', path: '/healthz' }, true],
  [
    'nonResourceURL trailing * prefix',
    user('anyone'),
    { isResourceRequest: false, verb: 'get', path: '/healthz/etcd' },
    true,
  ],
  ['nonResourceURL verb post', user('anyone'), { isResourceRequest: false, verb: 'post', path: '/healthz' }, true],
  ['nonResourceURL other path', user('anyone'), { isResourceRequest: false, verb: 'get', path: '/metrics' }, false],
  [
    'nonResourceURL prefix needs the *',
    user('anyone'),
    { isResourceRequest: false, verb: 'get', path: '/healthzx' },
    false,
  ],
  [
    'system:discovery grants /apis to authenticated users',
    user('anyone'),
    { isResourceRequest: false, verb: 'get', path: '/apis/apps/v1' },
    true,
  ],
  [
    'system:discovery does not grant /logs',
    user('anyone'),
    { isResourceRequest: false, verb: 'get', path: '/logs' },
    false,
  ],
  [
    'system:basic-user grants selfsubjectaccessreviews',
    user('anyone'),
    res('create', 'selfsubjectaccessreviews', '', { apiGroup: 'authorization.k8s.io' }),
    true,
  ],
  [
    'system:basic-user grants selfsubjectreviews',
    user('anyone'),
    res('create', 'selfsubjectreviews', '', { apiGroup: 'authentication.k8s.io' }),
    true,
  ],
  [
    'system:basic-user does not grant subjectaccessreviews',
    user('anyone'),
    res('create', 'subjectaccessreviews', '', { apiGroup: 'authorization.k8s.io' }),
    false,
  ],
  [
    'system:masters is always allowed',
    { username: 'root', groups: ['system:masters'] },
    res('delete', 'nodes', '', { name: 'n' }),
    true,
  ],
  [
    'impersonate with resourceNames: the named user',
    user('support'),
    res('impersonate', 'users', '', { name: 'jane' }),
    true,
  ],
  [
    'impersonate with resourceNames: another user',
    user('support'),
    res('impersonate', 'users', '', { name: 'admin' }),
    false,
  ],
  ['impersonate needs the verb', user('jane'), res('impersonate', 'users', '', { name: 'jane' }), false],
  [
    'unauthenticated users reach /version',
    { username: 'system:anonymous', groups: ['system:unauthenticated'] },
    { isResourceRequest: false, verb: 'get', path: '/version' },
    false,
  ],
];

// /version is granted to system:unauthenticated through system:public-info-viewer once bootstrapped.
for (const role of bootstrapClusterRoles) store.put('clusterroles.rbac.authorization.k8s.io', structuredClone(role));
for (const b of bootstrapClusterRoleBindings)
  store.put('clusterrolebindings.rbac.authorization.k8s.io', structuredClone(b));
cases[cases.length - 1]![3] = true;

describe('RBAC authorizer decisions (from the Kubernetes RBAC documentation)', () => {
  it('has at least 60 cases', () => expect(cases.length).toBeGreaterThanOrEqual(60));
  it.each(cases)('%s', (_, who, partial, allowed) => {
    const attributes: Attributes = {
      user: who,
      verb: '',
      isResourceRequest: true,
      path: '',
      apiGroup: '',
      apiVersion: 'v1',
      resource: '',
      subresource: '',
      namespace: '',
      name: '',
      ...partial,
    };
    expect(authorizer.authorize(attributes).decision === 'allow').toBe(allowed);
  });
});

describe('escalation rule coverage', () => {
  it('reports the rules not held, compacted like kube-apiserver', () => {
    const owned = [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }];
    const missing = uncoveredRules(owned, [
      { apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'list', 'delete'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    expect(missing.map(compactString)).toEqual([
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
      '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list" "delete"]}',
      '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
    ]);
    expect(
      uncoveredRules(
        [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
        [{ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['patch'] }],
      ),
    ).toEqual([]);
    expect(
      uncoveredRules(
        [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'], verbs: ['get'] }],
        [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
      ),
    ).toHaveLength(1);
  });
});

const conformance = join(
  projectRoot,
  '..',
  'shared',
  'conformance',
  'rbac',
  'kubernetes',
  'plugin',
  'pkg',
  'auth',
  'authorizer',
  'rbac',
  'bootstrappolicy',
  'testdata',
  'cluster-roles.yaml',
);
if (!existsSync(conformance) && process.env.CI === 'true')
  throw new Error(`RBAC conformance data missing at ${conformance}`);
describe.skipIf(!existsSync(conformance))('bootstrap roles match upstream rule for rule', () => {
  const upstream = existsSync(conformance)
    ? (parseYaml(readFileSync(conformance, 'utf8')) as { items: KubeObject[] }).items
    : [];
  it('covers every upstream role in the excerpt', () => {
    const ours = new Set(bootstrapClusterRoles.map((r) => r.metadata.name));
    expect(upstream.map((r) => r.metadata.name).filter((name) => !ours.has(name))).toEqual([]);
  });
  it.each(upstream.map((r) => [r.metadata.name, r] as const))('%s', (name, role) => {
    const ours = bootstrapClusterRoles.find((r) => r.metadata.name === name)!;
    expect(ours.metadata.labels).toEqual(role.metadata.labels);
    expect(ours.metadata.annotations).toEqual(role.metadata.annotations);
    if (role.aggregationRule) expect(ours.aggregationRule).toEqual(role.aggregationRule);
    else expect(ours.rules).toEqual(role.rules);
  });
});
