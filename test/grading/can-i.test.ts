import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { canI } from '../../server/grading/can-i.ts';
import { KubeClient } from '../../server/kube/client.ts';

let cluster: EmbeddedCluster;
let api: KubeClient;
const rbac = 'rbac.authorization.k8s.io';

beforeAll(async () => {
  cluster = await new EmbeddedCluster().start();
  api = KubeClient.fromKubeconfig(await cluster.kubeconfig());
  await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  await api.create('/api/v1/namespaces/shop/serviceaccounts', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'ci' },
  });
  await api.create(`/apis/${rbac}/v1/namespaces/shop/roles`, {
    apiVersion: `${rbac}/v1`,
    kind: 'Role',
    metadata: { name: 'deployer' },
    rules: [{ apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: ['get', 'patch'] }],
  });
  await api.create(`/apis/${rbac}/v1/namespaces/shop/rolebindings`, {
    apiVersion: `${rbac}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'ci-deployer' },
    roleRef: { apiGroup: rbac, kind: 'Role', name: 'deployer' },
    subjects: [
      { kind: 'ServiceAccount', name: 'ci', namespace: 'shop' },
      { kind: 'Group', name: 'dev', apiGroup: rbac },
    ],
  });
});
afterAll(async () => {
  api.close();
  await cluster.stop();
});

describe('canI (for graders)', () => {
  it('answers for ServiceAccounts', async () => {
    const sa = { serviceAccount: { namespace: 'shop', name: 'ci' } };
    expect(
      (await canI(api, sa, { verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'shop' })).allowed,
    ).toBe(true);
    expect(
      (
        await canI(api, sa, {
          verb: 'patch',
          group: 'apps',
          resource: 'deployments',
          subresource: 'scale',
          namespace: 'shop',
          name: 'web',
        })
      ).allowed,
    ).toBe(true);
    expect(
      (await canI(api, sa, { verb: 'delete', group: 'apps', resource: 'deployments', namespace: 'shop' })).allowed,
    ).toBe(false);
    expect(
      (await canI(api, sa, { verb: 'get', group: 'apps', resource: 'deployments', namespace: 'default' })).allowed,
    ).toBe(false);
  });
  it('answers for users through their groups, with the reason', async () => {
    const answer = await canI(
      api,
      { user: 'jane', groups: ['dev'] },
      { verb: 'get', group: 'apps', resource: 'deployments', namespace: 'shop' },
    );
    expect(answer).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "ci-deployer/shop" of Role "deployer" to Group "dev"',
    });
    expect(
      (await canI(api, { user: 'jane' }, { verb: 'get', group: 'apps', resource: 'deployments', namespace: 'shop' }))
        .allowed,
    ).toBe(false);
    expect(
      (
        await canI(
          api,
          { user: 'jane' },
          { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' },
        )
      ).allowed,
    ).toBe(true);
  });
});
