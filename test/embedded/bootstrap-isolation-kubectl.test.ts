import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { KubectlHarness, kubectlBinaries, type KubectlResult } from '../helpers/kubectl.ts';

/**
 * Clusters of one process share the immutable parts of their bootstrap objects (deep-frozen
 * templates). Learners own different clusters: every way kubectl changes an object in one
 * cluster (edit, patch of each type, client- and server-side apply, label, annotate) must
 * leave the same object of another cluster exactly as it was.
 */
const latest = kubectlBinaries(['1.33'])[0];

const targets = [
  { kind: 'clusterrole', name: 'system:kube-dns', namespace: undefined },
  { kind: 'clusterrolebinding', name: 'system:kube-dns', namespace: undefined },
  { kind: 'configmap', name: 'kube-root-ca.crt', namespace: 'kube-public' },
  { kind: 'serviceaccount', name: 'default', namespace: 'default' },
] as const;

type Target = (typeof targets)[number];

const ns = (t: Target) => (t.namespace ? ['-n', t.namespace] : []);

// Each kind's own part of the object, changed by patches and applies.
const jsonPatch: Record<Target['kind'], string> = {
  clusterrole: '[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]',
  clusterrolebinding:
    '[{"op":"add","path":"/subjects/-","value":{"kind":"User","name":"mallory","apiGroup":"rbac.authorization.k8s.io"}}]',
  configmap: '[{"op":"add","path":"/data/json","value":"patched"}]',
  serviceaccount: '[{"op":"add","path":"/automountServiceAccountToken","value":false}]',
};
const mergePatch: Record<Target['kind'], string> = {
  clusterrole: '{"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["*"]}]}',
  clusterrolebinding:
    '{"subjects":[{"kind":"Group","name":"system:authenticated","apiGroup":"rbac.authorization.k8s.io"}]}',
  configmap: '{"data":{"merge":"patched"}}',
  serviceaccount: '{"imagePullSecrets":[{"name":"merge"}]}',
};
const strategicPatch: Record<Target['kind'], string> = {
  clusterrole: '{"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}',
  clusterrolebinding: '{"subjects":[{"kind":"User","name":"eve","apiGroup":"rbac.authorization.k8s.io"}]}',
  configmap: '{"data":{"strategic":"patched"}}',
  serviceaccount: '{"imagePullSecrets":[{"name":"strategic"}]}',
};
const manifest: Record<Target['kind'], (manager: string) => string> = {
  clusterrole: (m) =>
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:kube-dns\n  labels:\n    ${m}: "yes"\nrules:\n- apiGroups: ["*"]\n  resources: ["*"]\n  verbs: ["*"]\n`,
  clusterrolebinding: (m) =>
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: system:kube-dns\n  labels:\n    ${m}: "yes"\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: system:kube-dns\nsubjects:\n- kind: User\n  name: ${m}\n  apiGroup: rbac.authorization.k8s.io\n`,
  configmap: (m) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kube-root-ca.crt\n  namespace: kube-public\n  labels:\n    ${m}: "yes"\ndata:\n  ${m}: applied\n`,
  serviceaccount: (m) =>
    `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: default\n  labels:\n    ${m}: "yes"\nautomountServiceAccountToken: false\n`,
};

// An editor for `kubectl edit -o json`: adds an annotation and changes the kind's own part.
const editor = `#!/usr/bin/env node
const fs = require('node:fs');
const file = process.argv[process.argv.length - 1];
const o = JSON.parse(fs.readFileSync(file, 'utf8'));
o.metadata.annotations = { ...(o.metadata.annotations || {}), edited: 'yes' };
if (o.rules) o.rules.push({ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] });
if (o.subjects) o.subjects.push({ kind: 'User', name: 'edited', apiGroup: 'rbac.authorization.k8s.io' });
if (o.kind === 'ConfigMap') o.data = { ...o.data, edited: 'yes' };
if (o.kind === 'ServiceAccount') o.secrets = [{ name: 'edited' }];
fs.writeFileSync(file, JSON.stringify(o));
`;

function isDeepFrozen(value: unknown): boolean {
  if (!value || typeof value !== 'object') return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

describe.skipIf(!latest)('bootstrap objects of one cluster never change another', () => {
  const a = new KubectlHarness(latest?.path ?? 'kubectl');
  const b = new KubectlHarness(latest?.path ?? 'kubectl');
  beforeAll(() => Promise.all([a.start(), b.start()]).then(() => undefined), 60_000);
  afterAll(() => Promise.all([a.stop(), b.stop()]));

  const getJson = async (k: KubectlHarness, t: Target) => {
    const result = await k.run(['get', t.kind, t.name, ...ns(t), '-o', 'json']);
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as { metadata: Record<string, unknown> } & Record<string, unknown>;
  };

  const edit = (t: Target, editorPath: string) =>
    new Promise<KubectlResult>((resolve) => {
      execFile(
        a.binary,
        ['edit', t.kind, t.name, ...ns(t), '-o', 'json'],
        {
          env: { PATH: process.env.PATH, HOME: a.home, KUBECONFIG: a.kubeconfig, KUBE_EDITOR: editorPath },
          cwd: a.home,
        },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      );
    });

  it('changes each kind in cluster A by every kubectl path while cluster B stays as it was', async () => {
    await Promise.all([a.cluster.settle(), b.cluster.settle()]);
    const before = await Promise.all(targets.map((t) => getJson(b, t)));
    const editorPath = await a.file('editor.js', editor);
    await chmod(editorPath, 0o755);
    for (const t of targets) {
      const ok = (r: KubectlResult) => expect(r.stderr.replace(/^Warning: .*\n/gm, ''), `${t.kind}`).toBe('');
      ok(await a.run(['label', t.kind, t.name, ...ns(t), 'learner=a']));
      ok(await a.run(['annotate', t.kind, t.name, ...ns(t), 'learner=a']));
      ok(await a.run(['patch', t.kind, t.name, ...ns(t), '--type=json', '-p', jsonPatch[t.kind]]));
      ok(await a.run(['patch', t.kind, t.name, ...ns(t), '--type=merge', '-p', mergePatch[t.kind]]));
      ok(await a.run(['patch', t.kind, t.name, ...ns(t), '--type=strategic', '-p', strategicPatch[t.kind]]));
      ok(await edit(t, editorPath));
      const csa = await a.file(`${t.kind}-csa.yaml`, manifest[t.kind]('client-side'));
      ok(await a.run(['apply', '-f', csa]));
      const ssa = await a.file(`${t.kind}-ssa.yaml`, manifest[t.kind]('server-side'));
      ok(await a.run(['apply', '--server-side', '--force-conflicts', '--field-manager=learner', '-f', ssa]));
      const changed = await getJson(a, t);
      expect(changed.metadata.labels).toMatchObject({ learner: 'a', 'server-side': 'yes' });
      expect(changed.metadata.annotations).toMatchObject({ learner: 'a', edited: 'yes' });
    }
    const changedRole = await getJson(a, targets[0]);
    expect(JSON.stringify(changedRole.rules)).toContain('"*"');
    expect(JSON.stringify((await getJson(a, targets[1])).subjects)).toContain('server-side');
    expect((await getJson(a, targets[3])).automountServiceAccountToken).toBe(false);

    await Promise.all([a.cluster.settle(), b.cluster.settle()]);
    const after = await Promise.all(targets.map((t) => getJson(b, t)));
    expect(after).toEqual(before);
    expect(JSON.stringify(after)).not.toMatch(/learner|edited|mallory|server-side|client-side|patched/);
  }, 120_000);

  it('shares bootstrap rules and subjects across clusters only deep-frozen', async () => {
    const c = await new EmbeddedCluster().start();
    try {
      for (const resource of [
        'clusterroles.rbac.authorization.k8s.io',
        'clusterrolebindings.rbac.authorization.k8s.io',
      ]) {
        const fromB = b.cluster.store.peekObject(resource, '', 'system:kube-dns');
        const fromC = c.store.peekObject(resource, '', 'system:kube-dns');
        const part = resource.startsWith('clusterroles') ? 'rules' : 'subjects';
        // The same object in both clusters: it is shared, so it must be impossible to change.
        expect(fromB?.[part]).toBeDefined();
        expect(fromB?.[part]).toBe(fromC?.[part]);
        expect(isDeepFrozen(fromC?.[part])).toBe(true);
        expect(isDeepFrozen(fromC?.metadata.labels)).toBe(true);
        const first = (fromC?.[part] as Array<Record<string, unknown>>)[0]!;
        expect(() => {
          first.name = 'changed';
        }).toThrow(TypeError);
      }
      for (const { object } of c.store.all()) {
        const shared = b.cluster.store.peekObject(
          'clusterroles.rbac.authorization.k8s.io',
          '',
          object.metadata.name ?? '',
        );
        if (shared?.rules && shared.rules === object.rules) expect(isDeepFrozen(object.rules)).toBe(true);
      }
    } finally {
      await c.stop();
    }
  });
});
