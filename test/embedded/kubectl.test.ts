import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const binaries = kubectlBinaries();
if (binaries.length === 0) console.warn('kubectl not found on PATH: kubectl integration tests skipped');

const podYaml = (image: string, labels = 'app: web, tier: front') => `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {${labels}}
spec:
  containers:
  - name: nginx
    image: ${image}
`;

const deploymentYaml = (replicas: number, extraLabel = true) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa
  labels: {app: ssa${extraLabel ? ', extra: "yes"' : ''}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ssa}}
  template:
    metadata: {labels: {app: ssa}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
`;

describe.skipIf(binaries.length === 0).each(binaries)(
  'real kubectl $version against the embedded cluster',
  ({ path }) => {
    const k = new KubectlHarness(path);
    beforeAll(() => k.start().then(() => undefined), 60_000);
    afterAll(() => k.stop());

    it('reports Kubernetes 1.34 and lists the bootstrap namespaces as a server-side table', async () => {
      const version = await k.run(['version']);
      expect(version.code).toBe(0);
      expect(version.stdout).toContain('Server Version: v1.34.1');
      // staging/src/k8s.io/apimachinery/pkg/version/types.go: 1.33+ servers add the compatibility fields.
      const json = JSON.parse((await k.run(['get', '--raw', '/version'])).stdout) as object;
      expect(json).toMatchObject({
        major: '1',
        minor: '34',
        emulationMajor: '1',
        emulationMinor: '34',
        minCompatibilityMajor: '1',
        minCompatibilityMinor: '33',
        gitVersion: 'v1.34.1',
      });
      const ns = await k.run(['get', 'namespaces']);
      expect(ns.code).toBe(0);
      const lines = ns.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^NAME\s+STATUS\s+AGE$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
        'default Active',
        'kube-node-lease Active',
        'kube-public Active',
        'kube-system Active',
      ]);
    });

    it('applies a pod, changes it, re-applies and prunes a removed label', async () => {
      const file = await k.file('pod.yaml', podYaml('nginx:1.27'));
      expect((await k.run(['apply', '-f', file])).stdout).toBe('pod/web created\n');
      await k.file('pod.yaml', podYaml('nginx:1.28', 'app: web'));
      expect((await k.run(['apply', '-f', file])).stdout).toBe('pod/web configured\n');
      const got = await k.run(['get', 'pod', 'web', '-o', 'jsonpath={.spec.containers[0].image} {.metadata.labels}']);
      expect(got.stdout).toBe('nginx:1.28 {"app":"web"}');
      expect((await k.run(['apply', '-f', file])).stdout).toBe('pod/web unchanged\n');
    });

    it('prints pods with the READY STATUS RESTARTS AGE columns, and -o wide', async () => {
      const wait = await k.run(['wait', '--for=condition=Ready', 'pod/web', '--timeout=10s']);
      expect(wait.stdout).toBe('pod/web condition met\n');
      const pods = await k.run(['get', 'pods']);
      expect(pods.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nweb\s+1\/1\s+Running\s+0\s+\d+s\n$/);
      const wide = await k.run(['get', 'pods', '-o', 'wide']);
      expect(wide.stdout.split('\n')[0]).toMatch(
        /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/,
      );
      expect(wide.stdout).toMatch(
        /web\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.0\.\d+\s+embedded-control-plane\s+<none>\s+<none>/,
      );
    });

    it('describes a pod with its simulated events', async () => {
      const out = await k.run(['describe', 'pod', 'web']);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^Name:\s+web$/m);
      expect(out.stdout).toMatch(/^Status:\s+Running$/m);
      expect(out.stdout).toMatch(
        /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/web to embedded-control-plane/,
      );
      expect(out.stdout).toContain('the embedded cluster simulates pods without a container runtime');
    });

    it('labels and annotates', async () => {
      expect((await k.run(['label', 'pod', 'web', 'tier=frontend'])).stdout).toBe('pod/web labeled\n');
      expect((await k.run(['annotate', 'pod', 'web', 'owner=alice'])).stdout).toBe('pod/web annotated\n');
      const got = await k.run([
        'get',
        'pod',
        'web',
        '-o',
        'jsonpath={.metadata.labels.tier} {.metadata.annotations.owner}',
      ]);
      expect(got.stdout).toBe('frontend alice');
      expect((await k.run(['get', 'pods', '-l', 'tier=frontend', '-o', 'name'])).stdout).toBe('pod/web\n');
      expect((await k.run(['get', 'pods', '-l', 'tier!=frontend', '-o', 'name'])).stdout).toBe('');
    });

    it('creates every kind kubectl sends as protobuf', async () => {
      const cases: Array<[string[], string]> = [
        [['create', 'namespace', 'team-a'], 'namespace/team-a created'],
        [['create', 'secret', 'generic', 's1', '--from-literal=password=s3cr3t'], 'secret/s1 created'],
        [['create', 'configmap', 'c1', '--from-literal=a=b'], 'configmap/c1 created'],
        [['create', 'serviceaccount', 'sa1'], 'serviceaccount/sa1 created'],
        [['create', 'deployment', 'x', '--image=nginx:1.27', '--replicas=2'], 'deployment.apps/x created'],
        [['create', 'job', 'j1', '--image=busybox', '--', 'echo', 'hi'], 'job.batch/j1 created'],
        [
          ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *', '--', 'echo', 'hi'],
          'cronjob.batch/cj created',
        ],
        [
          ['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods'],
          'role.rbac.authorization.k8s.io/pod-reader created',
        ],
        [
          ['create', 'rolebinding', 'rb', '--role=pod-reader', '--user=alice'],
          'rolebinding.rbac.authorization.k8s.io/rb created',
        ],
        [
          ['create', 'clusterrole', 'node-reader', '--verb=get', '--resource=nodes'],
          'clusterrole.rbac.authorization.k8s.io/node-reader created',
        ],
        [
          ['create', 'clusterrolebinding', 'crb', '--clusterrole=node-reader', '--serviceaccount=default:sa1'],
          'clusterrolebinding.rbac.authorization.k8s.io/crb created',
        ],
      ];
      for (const [args, expected] of cases) {
        const out = await k.run(args);
        expect({ args, out: out.stdout.trim(), err: out.stderr }).toEqual({ args, out: expected, err: '' });
      }
      expect((await k.run(['get', 'secret', 's1', '-o', 'jsonpath={.data.password}'])).stdout).toBe(
        Buffer.from('s3cr3t').toString('base64'),
      );
      const role = await k.run(['get', 'role', 'pod-reader', '-o', 'jsonpath={.rules[0].verbs}']);
      expect(role.stdout).toBe('["get","list"]');
      const binding = await k.run([
        'get',
        'clusterrolebinding',
        'crb',
        '-o',
        'jsonpath={.subjects[0].kind}/{.subjects[0].namespace}/{.subjects[0].name}',
      ]);
      expect(binding.stdout).toBe('ServiceAccount/default/sa1');
      const token = await k.run(['create', 'token', 'sa1']);
      expect(token.code).toBe(0);
      expect(token.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    });

    it('rolls a deployment out and scales it', async () => {
      const status = await k.run(['rollout', 'status', 'deployment/x', '--timeout=20s']);
      expect(status.stdout).toContain('deployment "x" successfully rolled out');
      expect((await k.run(['scale', 'deployment', 'x', '--replicas=3'])).stdout).toBe('deployment.apps/x scaled\n');
      await k.run(['rollout', 'status', 'deployment/x', '--timeout=20s']);
      const deploy = await k.run(['get', 'deployment', 'x']);
      expect(deploy.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nx\s+3\/3\s+3\s+3\s+\S+\n$/);
      const pods = await k.run(['get', 'pods', '-l', 'app=x', '-o', 'name']);
      expect(pods.stdout.trim().split('\n')).toHaveLength(3);
      const rs = await k.run(['get', 'rs', '-l', 'app=x']);
      expect(rs.stdout).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nx-\w+\s+3\s+3\s+3\s+\S+\n$/);
    });

    it('server-side applies, reports a conflict with the real text, then forces it', async () => {
      const file = await k.file('deploy.yaml', deploymentYaml(2));
      expect((await k.run(['apply', '--server-side', '-f', file])).stdout).toBe(
        'deployment.apps/ssa serverside-applied\n',
      );
      await k.run(['scale', 'deployment', 'ssa', '--replicas=5']);
      const conflict = await k.run(['apply', '--server-side', '-f', file]);
      expect(conflict.code).toBe(1);
      expect(conflict.stderr).toMatch(
        /^error: Apply failed with 1 conflict: conflict with "[\w-]+" using apps\/v1: \.spec\.replicas$/m,
      );
      expect(conflict.stderr).toContain('--force-conflicts');
      const forced = await k.run(['apply', '--server-side', '--force-conflicts', '-f', file]);
      expect(forced.code).toBe(0);
      expect((await k.run(['get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.replicas}'])).stdout).toBe('2');
      await k.file('deploy.yaml', deploymentYaml(2, false));
      await k.run(['apply', '--server-side', '-f', file]);
      expect((await k.run(['get', 'deploy', 'ssa', '-o', 'jsonpath={.metadata.labels}'])).stdout).toBe('{"app":"ssa"}');
    });

    it('dry-run=server validates without persisting', async () => {
      const out = await k.run(['create', 'deployment', 'ghost', '--image=nginx', '--dry-run=server']);
      expect(out.stdout).toBe('deployment.apps/ghost created (server dry run)\n');
      const get = await k.run(['get', 'deployment', 'ghost']);
      expect(get.code).toBe(1);
      expect(get.stderr).toBe('Error from server (NotFound): deployments.apps "ghost" not found\n');
    });

    it('watches pods with get -w', async () => {
      const watch = k.run(['get', 'pods', '-w', '-l', 'run=watched', '--request-timeout=3s']);
      await new Promise((r) => setTimeout(r, 700));
      expect((await k.run(['run', 'watched', '--image=nginx'])).stdout).toBe('pod/watched created\n');
      const out = await watch;
      expect(out.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
      expect(out.stdout).toMatch(/^watched\s+0\/1\s+Pending\s+0\s+\S+$/m);
      expect(out.stdout).toMatch(/^watched\s+1\/1\s+Running\s+0\s+\S+$/m);
    });

    it('explains top-level fields from the OpenAPI v3 documents', async () => {
      const out = await k.run(['explain', 'pods']);
      expect(out.stdout).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/);
      for (const field of [
        'apiVersion\t<string>',
        'kind\t<string>',
        'metadata\t<ObjectMeta>',
        'spec\t<PodSpec>',
        'status\t<PodStatus>',
      ]) {
        expect(out.stdout).toContain(field);
      }
      const nested = await k.run(['explain', 'deployment.spec.replicas']);
      expect(nested.stdout).toMatch(/FIELD: replicas <integer>/);
    });

    it('says plainly what simulated pods can and cannot run', async () => {
      const logs = await k.run(['logs', 'web']);
      expect(logs.code).toBe(0);
      expect(logs.stdout).toBe(
        '[embedded cluster] no logs for container "nginx" of pod "web": the embedded cluster simulates pods without a container runtime, so containers do not run; use the kind backend for real containers; connections it accepts from kubectl exec are logged here.\n',
      );
      const id = await k.run(['exec', 'web', '--', 'id'], { timeoutMs: 10_000 });
      expect(id).toEqual({ code: 0, stdout: 'uid=0(root) gid=0(root) groups=0(root)\n', stderr: '' });
      const exec = await k.run(['exec', 'web', '--', 'touch', '/x'], { timeoutMs: 10_000 });
      expect(exec.code).toBe(126);
      expect(exec.stderr).toContain('exec: "touch": executable file not found in $PATH');
      expect(exec.stderr).toContain('anything else needs a real container (use the kind backend)');
      expect(exec.stderr).toContain('command terminated with exit code 126');
    });

    it('deletes objects and cascades namespace deletion', async () => {
      await k.run(['create', 'configmap', 'inside', '-n', 'team-a', '--from-literal=x=y']);
      expect((await k.run(['delete', 'pod', 'web'])).stdout).toBe('pod "web" deleted\n');
      expect((await k.run(['get', 'pod', 'web'])).stderr).toBe('Error from server (NotFound): pods "web" not found\n');
      expect((await k.run(['delete', 'namespace', 'team-a'])).stdout).toBe('namespace "team-a" deleted\n');
      const ns = await k.run(['get', 'namespace', 'team-a']);
      expect(ns.stderr).toBe('Error from server (NotFound): namespaces "team-a" not found\n');
      expect(k.cluster.store.list('configmaps', 'team-a')).toEqual([]);
      expect((await k.run(['delete', 'deployment', 'x'])).stdout).toBe('deployment.apps "x" deleted\n');
      await k.cluster.settle();
      expect((await k.run(['get', 'pods', '-l', 'app=x', '-o', 'name'])).stdout).toBe('');
    });

    it('installs the Kyverno CRDs, then applies and lists a ClusterPolicy', async () => {
      const crds = await k.run([
        'apply',
        '-f',
        new URL('../../server/cluster/embedded/addons/kyverno/crds.yaml', import.meta.url).pathname,
      ]);
      expect(crds.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/clusterpolicies.kyverno.io created');
      const policy = await k.file(
        'cpol.yaml',
        `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-trusted-repo
spec:
  rules:
  - name: trusted-registry
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      failureAction: Enforce
      message: "Images must come from trusted-repo/."
      pattern:
        spec:
          containers:
          - image: "trusted-repo/*"
`,
      );
      expect((await k.run(['apply', '-f', policy])).stdout).toBe(
        'clusterpolicy.kyverno.io/require-trusted-repo created\n',
      );
      const list = await k.run(['get', 'clusterpolicies']);
      expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+ADMISSION\s+BACKGROUND\s+READY\s+AGE\s+MESSAGE$/);
      expect(list.stdout).toMatch(/^require-trusted-repo\s+true\s+true\s+/m);
      expect((await k.run(['get', 'cpol', '-o', 'name'])).stdout).toBe(
        'clusterpolicy.kyverno.io/require-trusted-repo\n',
      );
    });
  },
);
