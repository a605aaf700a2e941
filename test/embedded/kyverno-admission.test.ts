import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { StatusError } from '../../server/cluster/embedded/api/status.ts';
import type { KubeObject } from '../../server/cluster/embedded/storage/types.ts';
import { projectRoot } from '../helpers/project.ts';

let cluster: EmbeddedCluster;
const admin = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
const opts = (dryRun = false) => ({ user: admin, dryRun, fieldManager: 'test', warnings: [] as string[] });

beforeAll(async () => {
  cluster = await new EmbeddedCluster().start();
  const crds = parseAllDocuments(
    readFileSync(`${projectRoot}/server/cluster/embedded/addons/kyverno/crds.yaml`, 'utf8'),
  ).map((d) => d.toJS() as KubeObject);
  const crdDef = cluster.catalog.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  for (const crd of crds) await cluster.registry.create(crdDef, '', crd, opts());
  await cluster.settle();
});
afterAll(() => cluster.stop());

const crashingPolicy = (name: string, failurePolicy: 'Fail' | 'Ignore', failureAction = 'Enforce'): KubeObject => ({
  apiVersion: 'kyverno.io/v1',
  kind: 'ClusterPolicy',
  metadata: { name },
  spec: {
    failurePolicy,
    rules: [
      {
        name: 'broken-expression',
        match: { any: [{ resources: { kinds: ['ConfigMap'] } }] },
        validate: {
          failureAction,
          deny: {
            conditions: {
              all: [{ key: '{{ request.object.data | not_a_function(@) }}', operator: 'Equals', value: 'x' }],
            },
          },
        },
      },
    ],
  },
});

describe('Kyverno admission failure policy', () => {
  const cm = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name },
    data: { a: 'b' },
  });

  it('fails closed when a rule errors and failurePolicy is Fail', async () => {
    const cpol = cluster.catalog.find('kyverno.io', 'v1', 'clusterpolicies')!;
    await cluster.registry.create(cpol, '', crashingPolicy('crashes', 'Fail'), opts());
    const configmaps = cluster.catalog.find('', 'v1', 'configmaps')!;
    let error: unknown;
    try {
      await cluster.registry.create(configmaps, 'default', cm('blocked'), opts());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).code).toBe(400);
    expect((error as StatusError).message).toMatch(
      /^admission webhook "validate.kyverno.svc-fail" denied the request: \n\nresource ConfigMap\/default\/blocked was blocked due to the following policies \n\ncrashes:\n {2}broken-expression: /,
    );
    expect(cluster.store.get('configmaps', 'default', 'blocked')).toBeUndefined();
    await cluster.registry.delete(cpol, '', 'crashes', opts());
  });

  it('never blocks on an Audit rule, even when it errors (Kyverno evaluates Audit apart)', async () => {
    const cpol = cluster.catalog.find('kyverno.io', 'v1', 'clusterpolicies')!;
    await cluster.registry.create(cpol, '', crashingPolicy('audit-crashes', 'Fail', 'Audit'), opts());
    const configmaps = cluster.catalog.find('', 'v1', 'configmaps')!;
    const created = await cluster.registry.create(configmaps, 'default', cm('audited'), opts());
    expect(created.metadata.name).toBe('audited');
    await cluster.registry.delete(cpol, '', 'audit-crashes', opts());
  });

  it('admits when failurePolicy is Ignore', async () => {
    const cpol = cluster.catalog.find('kyverno.io', 'v1', 'clusterpolicies')!;
    await cluster.registry.create(cpol, '', crashingPolicy('ignored', 'Ignore'), opts());
    const configmaps = cluster.catalog.find('', 'v1', 'configmaps')!;
    const created = await cluster.registry.create(configmaps, 'default', cm('admitted'), opts());
    expect(created.metadata.name).toBe('admitted');
  });

  it('leaves kube-system alone (default resource filters)', async () => {
    const configmaps = cluster.catalog.find('', 'v1', 'configmaps')!;
    const cpol = cluster.catalog.find('kyverno.io', 'v1', 'clusterpolicies')!;
    await cluster.registry.create(cpol, '', crashingPolicy('strict', 'Fail'), opts());
    const created = await cluster.registry.create(configmaps, 'kube-system', cm('system'), opts());
    expect(created.metadata.namespace).toBe('kube-system');
  });
});
