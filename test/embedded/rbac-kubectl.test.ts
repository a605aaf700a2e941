import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/api-client.ts';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const binaries = kubectlBinaries(['1.31', '1.32']);

describe.skipIf(binaries.length === 0).each(binaries)('RBAC through real kubectl $version', ({ path }) => {
  const k = new KubectlHarness(path, {}, [{ name: 'jane', groups: ['dev'] }]);
  const jane = ['--context', 'jane@embedded'];
  beforeAll(async () => {
    await k.start();
    await k.run(['create', 'namespace', 'team']);
    await k.run(['create', 'rolebinding', 'jane-view', '-n', 'default', '--clusterrole=view', '--group=dev']);
    await k.run(['create', 'rolebinding', 'jane-admin', '-n', 'team', '--clusterrole=admin', '--user=jane']);
  }, 60_000);
  afterAll(() => k.stop());

  it('can-i answers yes and no with exit codes 0 and 1', async () => {
    expect(await k.run(['auth', 'can-i', 'list', 'pods'])).toEqual({ code: 0, stdout: 'yes\n', stderr: '' });
    expect(await k.run([...jane, 'auth', 'can-i', 'list', 'pods'])).toEqual({ code: 0, stdout: 'yes\n', stderr: '' });
    expect(await k.run([...jane, 'auth', 'can-i', 'delete', 'pods'])).toEqual({ code: 1, stdout: 'no\n', stderr: '' });
    expect((await k.run([...jane, 'auth', 'can-i', 'list', 'pods', '-n', 'kube-system'])).stdout).toBe('no\n');
    expect((await k.run([...jane, 'auth', 'can-i', 'get', 'pods', '--subresource=log'])).stdout).toBe('yes\n');
    expect((await k.run([...jane, 'auth', 'can-i', 'create', 'pods', '--subresource=exec'])).stdout).toBe('no\n');
    expect(
      (await k.run(['auth', 'can-i', 'list', 'secrets', '--as=jane', '--as-group=dev', '-n', 'team'])).stdout,
    ).toBe('yes\n');
  });

  it('lists rules with can-i --list', async () => {
    const out = await k.run([...jane, 'auth', 'can-i', '--list', '-n', 'default']);
    expect(out.code).toBe(0);
    expect(out.stdout.split('\n')[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
    expect(out.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    expect(out.stdout).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    expect(out.stdout).toMatch(/^\s+\[\/version\]\s+\[\]\s+\[get\]$/m);
    expect(out.stdout).not.toMatch(/^secrets\s/m);
  });

  it('auth whoami shows the user and groups of each context', async () => {
    const admin = await k.run(['auth', 'whoami']);
    expect(admin.stdout).toBe(
      'ATTRIBUTE   VALUE\nUsername    kubernetes-admin\nGroups      [system:masters system:authenticated]\n',
    );
    const j = await k.run([...jane, 'auth', 'whoami']);
    expect(j.stdout).toBe('ATTRIBUTE   VALUE\nUsername    jane\nGroups      [dev system:authenticated]\n');
  });

  it('denies with the exact Forbidden texts for namespaced, named and cluster-scoped requests', async () => {
    expect((await k.run([...jane, 'get', 'pods', '-n', 'kube-system'])).stderr).toBe(
      'Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "kube-system"\n',
    );
    expect((await k.run([...jane, 'get', 'pod', 'web', '-n', 'kube-system'])).stderr).toBe(
      'Error from server (Forbidden): pods "web" is forbidden: User "jane" cannot get resource "pods" in API group "" in the namespace "kube-system"\n',
    );
    expect((await k.run([...jane, 'get', 'nodes'])).stderr).toBe(
      'Error from server (Forbidden): nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope\n',
    );
    const create = await k.run([...jane, 'create', 'deployment', 'd', '--image=nginx', '-n', 'default']);
    expect(create.code).toBe(1);
    expect(create.stderr).toContain(
      'deployments.apps is forbidden: User "jane" cannot create resource "deployments" in API group "apps" in the namespace "default"',
    );
  });

  it('refuses a role granting permissions not held, then allows it with escalate', async () => {
    const refused = await k.run([
      ...jane,
      'create',
      'role',
      'node-lister',
      '-n',
      'team',
      '--verb=list,get',
      '--resource=nodes',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'Error from server (Forbidden): roles.rbac.authorization.k8s.io "node-lister" is forbidden: user "jane" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["list" "get"]}\n',
    );
    // A role with only what jane holds in "team" is fine.
    expect(
      (await k.run([...jane, 'create', 'role', 'secret-reader', '-n', 'team', '--verb=get', '--resource=secrets']))
        .stdout,
    ).toBe('role.rbac.authorization.k8s.io/secret-reader created\n');
    await k.run([
      'create',
      'role',
      'escalator',
      '-n',
      'team',
      '--verb=escalate',
      '--resource=roles.rbac.authorization.k8s.io',
    ]);
    await k.run(['create', 'rolebinding', 'jane-escalate', '-n', 'team', '--role=escalator', '--user=jane']);
    expect(
      (await k.run([...jane, 'create', 'role', 'node-lister', '-n', 'team', '--verb=list,get', '--resource=nodes']))
        .stdout,
    ).toBe('role.rbac.authorization.k8s.io/node-lister created\n');
  });

  it('refuses binding a role not held, then allows it with bind', async () => {
    const refused = await k.run([
      ...jane,
      'create',
      'rolebinding',
      'jane-ca',
      '-n',
      'team',
      '--clusterrole=cluster-admin',
      '--user=jane',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "jane-ca" is forbidden: user "jane" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}\n',
    );
    await k.run([
      'create',
      'role',
      'binder',
      '-n',
      'team',
      '--verb=bind',
      '--resource=clusterroles.rbac.authorization.k8s.io',
      '--resource-name=cluster-admin',
    ]);
    await k.run(['create', 'rolebinding', 'jane-bind', '-n', 'team', '--role=binder', '--user=jane']);
    expect(
      (
        await k.run([
          ...jane,
          'create',
          'rolebinding',
          'jane-ca',
          '-n',
          'team',
          '--clusterrole=cluster-admin',
          '--user=jane',
        ])
      ).stdout,
    ).toBe('rolebinding.rbac.authorization.k8s.io/jane-ca created\n');
  });

  it('refuses impersonation without the impersonate verb', async () => {
    // kubectl's discovery reads the 403 raw and prints "unknown"; the API's Status carries the text.
    const refused = await k.run([...jane, 'get', 'pods', '--as=bob']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Error from server \(Forbidden\)/);
    const api = new ApiClient(k.cluster, await k.cluster.credentials('jane', ['dev']));
    const denied = await api.send('GET', '/api/v1/namespaces/default/pods', undefined, { 'impersonate-user': 'bob' });
    expect(denied.status).toBe(403);
    expect(denied.json().message).toBe(
      'users "bob" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    await k.run([
      'create',
      'clusterrole',
      'impersonate-bob',
      '--verb=impersonate',
      '--resource=users',
      '--resource-name=bob',
    ]);
    await k.run([
      'create',
      'clusterrolebinding',
      'jane-impersonates-bob',
      '--clusterrole=impersonate-bob',
      '--user=jane',
    ]);
    const groups = await api.send('GET', '/api/v1/namespaces/default/pods', undefined, {
      'impersonate-user': 'bob',
      'impersonate-group': 'system:masters',
    });
    expect(groups.json().message).toBe(
      'groups "system:masters" is forbidden: User "jane" cannot impersonate resource "groups" in API group "" at the cluster scope',
    );
    api.close();
    const allowed = await k.run([...jane, 'auth', 'whoami', '--as=bob']);
    expect(allowed.stdout).toBe('ATTRIBUTE   VALUE\nUsername    bob\nGroups      [system:authenticated]\n');
  });

  it('extends view through a ClusterRole labelled aggregate-to-view', async () => {
    const crd = await k.file(
      'widgets-crd.yaml',
      stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          names: { kind: 'Widget', plural: 'widgets' },
          scope: 'Namespaced',
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      }),
    );
    expect((await k.run(['apply', '-f', crd])).stdout).toBe(
      'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n',
    );
    await k.cluster.settle();
    expect((await k.run([...jane, 'auth', 'can-i', 'list', 'widgets.example.com'])).stdout).toBe('no\n');
    const role = await k.file(
      'widget-viewer.yaml',
      stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'widget-viewer', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
        rules: [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] }],
      }),
    );
    await k.run(['apply', '-f', role]);
    await k.cluster.settle();
    expect((await k.run(['get', 'clusterrole', 'view', '-o', 'jsonpath={.rules[-1].resources}'])).stdout).toBe(
      '["widgets"]',
    );
    expect((await k.run([...jane, 'auth', 'can-i', 'list', 'widgets.example.com'])).stdout).toBe('yes\n');
    // edit and admin aggregate view, so they gain it too.
    expect((await k.run(['get', 'clusterrole', 'admin', '-o', 'jsonpath={.rules[*].resources}'])).stdout).toContain(
      '"widgets"',
    );
  });

  it('authenticates ServiceAccount tokens and authorizes them by their groups', async () => {
    await k.run(['create', 'serviceaccount', 'builder', '-n', 'team']);
    const token = (await k.run(['create', 'token', 'builder', '-n', 'team'])).stdout.trim();
    const tokenConfig = await k.file(
      'token-kubeconfig',
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'c',
            cluster: {
              server: k.cluster.url,
              'certificate-authority-data': Buffer.from(k.cluster.caPem).toString('base64'),
            },
          },
        ],
        users: [{ name: 'sa', user: { token } }],
        contexts: [{ name: 'sa', context: { cluster: 'c', user: 'sa', namespace: 'team' } }],
        'current-context': 'sa',
      }),
    );
    const who = await k.run(
      ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}'],
      { kubeconfig: tokenConfig },
    );
    expect(who.stdout).toBe(
      'system:serviceaccount:team:builder ["system:serviceaccounts","system:serviceaccounts:team","system:authenticated"]',
    );
    expect((await k.run(['get', 'pods'], { kubeconfig: tokenConfig })).stderr).toBe(
      'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:team:builder" cannot list resource "pods" in API group "" in the namespace "team"\n',
    );
    await k.run([
      'create',
      'rolebinding',
      'builder-view',
      '-n',
      'team',
      '--clusterrole=view',
      '--serviceaccount=team:builder',
    ]);
    expect((await k.run(['get', 'pods'], { kubeconfig: tokenConfig })).stderr).toBe(
      'No resources found in team namespace.\n',
    );
    await k.run(['delete', 'serviceaccount', 'builder', '-n', 'team']);
    expect((await k.run(['get', 'pods'], { kubeconfig: tokenConfig })).stderr).toContain(
      'error: You must be logged in to the server (Unauthorized)',
    );
  });

  it('accepts bindings to missing roles (they grant nothing) and rejects malformed subjects', async () => {
    expect((await k.run(['create', 'rolebinding', 'ghost', '--role=does-not-exist', '--user=jane'])).stdout).toBe(
      'rolebinding.rbac.authorization.k8s.io/ghost created\n',
    );
    expect((await k.run([...jane, 'auth', 'can-i', 'delete', 'pods'])).stdout).toBe('no\n');
    const bad = await k.file(
      'bad-binding.yaml',
      stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'bad', namespace: 'default' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [
          { kind: 'Robot', name: 'r2d2' },
          { kind: 'User', apiGroup: 'rbac.authorization.k8s.io' },
        ],
      }),
    );
    const out = await k.run(['apply', '-f', bad]);
    expect(out.stderr).toBe(
      'The RoleBinding "bad" is invalid: \n* subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"\n* subjects[1].name: Required value\n',
    );
    const oddVerbs = await k.run(['create', 'role', 'odd', '--verb=frobnicate', '--resource=pods']);
    expect(oddVerbs.stdout).toBe('role.rbac.authorization.k8s.io/odd created\n');
  });
});
