import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const binaries = kubectlBinaries(['1.31', '1.33']);

const pod = (name: string, namespace: string, extra = '', resources = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}, labels: {app: ${name.replace(/-\d+$/, '')}}}
spec:
${extra}  containers:
  - name: app
    image: nginx:1.27
${resources}`;

describe.skipIf(binaries.length === 0).each(binaries)(
  'Quotas, limits, runtime classes, budgets and volumes with kubectl $version',
  ({ path }) => {
    const k = new KubectlHarness(path, { podStartDelayMs: 0 });
    beforeAll(async () => {
      await k.start();
      for (const ns of ['q', 'q2', 'vol']) await k.run(['create', 'namespace', ns]);
    }, 60_000);
    afterAll(() => k.stop());

    async function apply(name: string, text: string) {
      const file = await k.file(name, text);
      return { file, ...(await k.run(['apply', '-f', file])) };
    }

    it('serves the 1.34 API groups these resources live in', async () => {
      const versions = (await k.run(['api-versions'])).stdout.split('\n');
      for (const gv of [
        'certificates.k8s.io/v1',
        'coordination.k8s.io/v1',
        'node.k8s.io/v1',
        'policy/v1',
        'storage.k8s.io/v1',
      ])
        expect(versions).toContain(gv);
      const resources = await k.run(['api-resources', '--api-group=', '-o', 'name']);
      for (const r of ['limitranges', 'persistentvolumeclaims', 'persistentvolumes', 'resourcequotas'])
        expect(resources.stdout.split('\n')).toContain(r);
    });

    it('fills LimitRange defaults and enforces max (plugin/pkg/admission/limitranger/admission.go)', async () => {
      await apply(
        'limits.yaml',
        `apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: q}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 250m, memory: 128Mi}
    max: {cpu: "1", memory: 512Mi}
`,
      );
      expect((await apply('p1.yaml', pod('p-1', 'q'))).stdout).toBe('pod/p-1 created\n');
      const got = await k.run(['get', 'pod', 'p-1', '-n', 'q', '-o', 'jsonpath={.spec.containers[0].resources}']);
      expect(JSON.parse(got.stdout)).toEqual({
        limits: { cpu: '500m', memory: '256Mi' },
        requests: { cpu: '250m', memory: '128Mi' },
      });
      const note = await k.run([
        'get',
        'pod',
        'p-1',
        '-n',
        'q',
        '-o',
        'jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}',
      ]);
      expect(note.stdout).toBe(
        'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app',
      );
      const big = await apply('big.yaml', pod('big', 'q', '', '    resources: {limits: {cpu: "2"}}\n'));
      expect(big.stderr).toBe(
        `Error from server (Forbidden): error when creating "${big.file}": pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2\n`,
      );
    });

    it('counts usage against a ResourceQuota and refuses what exceeds it (staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go)', async () => {
      await apply(
        'quota.yaml',
        'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute, namespace: q}\nspec: {hard: {pods: "2", requests.cpu: "1", limits.cpu: "1"}}\n',
      );
      await k.cluster.settle();
      // pkg/printers/internalversion/printers.go: printResourceQuota.
      const listed = await k.run(['get', 'quota', '-n', 'q']);
      expect(listed.stdout).toMatch(
        /^NAME\s+AGE\s+REQUEST\s+LIMIT\ncompute\s+\d+s\s+pods: 1\/2, requests\.cpu: 250m\/1\s+limits\.cpu: 500m\/1\n$/,
      );
      expect((await apply('p2.yaml', pod('p-2', 'q'))).stdout).toBe('pod/p-2 created\n');
      // Only the exceeded resources are named: requests.cpu (750m of 1) still fits.
      const third = await apply('p3.yaml', pod('p-3', 'q'));
      expect(third.stderr).toBe(
        `Error from server (Forbidden): error when creating "${third.file}": pods "p-3" is forbidden: exceeded quota: compute, requested: limits.cpu=500m,pods=1, used: limits.cpu=1,pods=2, limited: limits.cpu=1,pods=2\n`,
      );
      await apply(
        'quota2.yaml',
        'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute, namespace: q2}\nspec: {hard: {requests.cpu: "1", limits.memory: 1Gi}}\n',
      );
      const bare = await apply('bare.yaml', pod('bare', 'q2'));
      expect(bare.stderr).toBe(
        `Error from server (Forbidden): error when creating "${bare.file}": pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: app; requests.cpu for: app\n`,
      );
    });

    it('schedules pods onto a RuntimeClass and refuses an unknown one (plugin/pkg/admission/runtimeclass/admission.go)', async () => {
      await apply(
        'rc.yaml',
        'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: runsc\n',
      );
      expect((await k.run(['get', 'runtimeclass'])).stdout).toMatch(/^NAME\s+HANDLER\s+AGE\ngvisor\s+runsc\s+\d+s\n$/);
      expect((await apply('sandboxed.yaml', pod('sandboxed', 'vol', '  runtimeClassName: gvisor\n'))).stdout).toBe(
        'pod/sandboxed created\n',
      );
      const kata = await apply('kata.yaml', pod('kata', 'vol', '  runtimeClassName: kata\n'));
      expect(kata.stderr).toBe(
        `Error from server (Forbidden): error when creating "${kata.file}": pods "kata" is forbidden: pod rejected: RuntimeClass "kata" not found\n`,
      );
      const bad = await apply(
        'bad-rc.yaml',
        'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: bad}\nhandler: Run_SC\n',
      );
      expect(bad.stderr).toContain(
        'The RuntimeClass "bad" is invalid: handler: Invalid value: "Run_SC": a lowercase RFC 1123 label',
      );
    });

    it('keeps a PodDisruptionBudget and refuses evictions that break it (pkg/registry/core/pod/storage/eviction.go)', async () => {
      for (const name of ['db-1', 'db-2']) await apply(`${name}.yaml`, pod(name, 'vol'));
      await apply(
        'pdb.yaml',
        'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: db, namespace: vol}\nspec: {minAvailable: 2, selector: {matchLabels: {app: db}}}\n',
      );
      await k.run(['wait', '--for=condition=Ready', 'pod/db-1', 'pod/db-2', '-n', 'vol', '--timeout=10s']);
      await k.cluster.settle();
      expect((await k.run(['get', 'pdb', '-n', 'vol'])).stdout).toMatch(
        /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\ndb\s+2\s+N\/A\s+0\s+\d+s\n$/,
      );
      const eviction = await k.file(
        'eviction.json',
        JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'db-1', namespace: 'vol' } }),
      );
      const refused = await k.run(['create', '--raw', '/api/v1/namespaces/vol/pods/db-1/eviction', '-f', eviction]);
      expect(refused.stderr).toBe(
        "Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.\n",
      );
      await k.run(['patch', 'pdb', 'db', '-n', 'vol', '--type=merge', '-p', '{"spec":{"minAvailable":1}}']);
      await k.cluster.settle();
      expect((await k.run(['create', '--raw', '/api/v1/namespaces/vol/pods/db-1/eviction', '-f', eviction])).code).toBe(
        0,
      );
    });

    it('binds a claim of the default StorageClass once a pod uses it (pkg/controller/volume/persistentvolume)', async () => {
      expect((await k.run(['get', 'storageclass'])).stdout).toMatch(
        /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\nstandard\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+\d+s\n$/,
      );
      await apply(
        'pvc.yaml',
        'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: vol}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n',
      );
      await k.cluster.settle();
      expect((await k.run(['get', 'pvc', 'data', '-n', 'vol'])).stdout).toMatch(
        /\ndata\s+Pending\s+standard\s+<unset>\s+\d+s\n$/,
      );
      await apply(
        'user.yaml',
        pod('user', 'vol', '  volumes:\n  - name: data\n    persistentVolumeClaim: {claimName: data}\n'),
      );
      await k.cluster.settle();
      const uid = (await k.run(['get', 'pvc', 'data', '-n', 'vol', '-o', 'jsonpath={.metadata.uid}'])).stdout;
      expect((await k.run(['get', 'pvc', 'data', '-n', 'vol'])).stdout).toMatch(
        new RegExp(`\\ndata\\s+Bound\\s+pvc-${uid}\\s+1Gi\\s+RWO\\s+standard\\s+<unset>\\s+\\d+s\\n$`),
      );
      expect((await k.run(['get', 'pv'])).stdout).toMatch(
        new RegExp(`\\npvc-${uid}\\s+1Gi\\s+RWO\\s+Delete\\s+Bound\\s+vol/data\\s+standard\\s+<unset>\\s+\\d+s\\n$`),
      );
      await k.run(['delete', 'pod', 'user', '-n', 'vol', '--wait=false']);
      await k.run(['delete', 'pvc', 'data', '-n', 'vol', '--wait=false']);
      await k.cluster.settle();
      expect((await k.run(['get', 'pv'])).stderr).toBe('No resources found\n');
    });

    it('keeps the node heartbeat Lease (pkg/kubelet/nodelease)', async () => {
      expect((await k.run(['get', 'lease', '-n', 'kube-node-lease'])).stdout).toMatch(
        /^NAME\s+HOLDER\s+AGE\nembedded-control-plane\s+embedded-control-plane\s+\d+s\n$/,
      );
    });
  },
);
