import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { endpointFromKubeconfig, KubeClient } from '../../server/kube/client.ts';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

/** The simulated pod's tool set through kubectl 1.33 exec: what each prints, and what it refuses. */

const binary = kubectlBinaries(['1.33'])[0];

const manifests = `apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: app}
stringData: {password: s3cr3t}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: app}
data: {mode: strict}
---
apiVersion: v1
kind: Pod
metadata: {name: tools, namespace: app, labels: {app: tools}}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}
  containers:
  - name: shell
    image: busybox:1.36
    command: [sleep, '3600']
    env:
    - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
    volumeMounts: [{name: creds, mountPath: /etc/creds, readOnly: true}]
  volumes:
  - {name: creds, secret: {secretName: db}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec:
  containers: [{name: web, image: nginx:1.27}]
`;

describe.skipIf(!binary)('simulated pod tools (kubectl 1.33 exec)', () => {
  const k = new KubectlHarness(binary?.path ?? 'kubectl');
  const exec = (...argv: string[]) => k.run(['-n', 'app', 'exec', 'tools', '--', ...argv]);
  beforeAll(async () => {
    await k.start();
    expect((await k.run(['apply', '-f', await k.file('m.yaml', manifests)])).code).toBe(0);
    expect((await k.run(['-n', 'app', 'wait', '--for=condition=Ready', 'pod', '--all', '--timeout=30s'])).code).toBe(0);
  }, 60_000);
  afterAll(() => k.stop());

  it('shows the identity, environment and mounted files a real container would have', async () => {
    expect((await exec('id')).stdout).toBe('uid=1000 gid=3000 groups=3000,2000\n');
    const env = (await exec('env')).stdout;
    expect(env).toContain('DB_PASSWORD=s3cr3t\n');
    expect(env).toContain('MODE=strict\n');
    expect(env).toContain('KUBERNETES_SERVICE_HOST=10.96.0.1\n');
    expect((await exec('cat', '/etc/creds/password')).stdout).toBe('s3cr3t');
    expect((await exec('cat', '/var/run/secrets/kubernetes.io/serviceaccount/namespace')).stdout).toBe('app');
    const token = (await exec('cat', '/var/run/secrets/kubernetes.io/serviceaccount/token')).stdout;
    // A real bound token: the API server authenticates it as the pod's ServiceAccount.
    const endpoint = endpointFromKubeconfig(await readFile(k.kubeconfig, 'utf8'));
    const api = new KubeClient({ server: endpoint.server, caPem: endpoint.caPem, token });
    const review = await api.create<{ status: { userInfo: { username: string } } }>(
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    );
    api.close();
    expect(review.status.userInfo.username).toBe('system:serviceaccount:app:default');
  });

  it('answers HTTP with curl, logs it on the server, and serves the metadata endpoint', async () => {
    const webIp = (await k.run(['-n', 'app', 'get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}'])).stdout;
    const page = await exec('curl', '-s', `http://${webIp}/`);
    expect(page.code).toBe(0);
    expect(page.stdout).toContain('<h1>web</h1>');
    expect((await exec('curl', '-sS', `http://${webIp}:8080/`)).stderr).toContain(
      `curl: (7) Failed to connect to ${webIp} port 8080 after 0 ms: Couldn't connect to server`,
    );
    expect((await k.run(['-n', 'app', 'logs', 'web'])).stdout).toMatch(
      /"GET \/ HTTP\/1\.1" 200 \d+ "-" "curl\/8\.14\.1"\n$/,
    );
    const role = await exec('wget', '-qO-', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/');
    expect(role).toEqual({ code: 0, stdout: 'embedded-lab-node-role\n', stderr: '' });
    const gcp = await exec('curl', '-s', 'http://metadata.google.internal/computeMetadata/v1/');
    expect(gcp.stdout).toBe('Missing required header "Metadata-Flavor": "Google"\n');
  });

  it('runs sh -c lists and says plainly what needs a real container', async () => {
    const list = await exec('sh', '-c', 'hostname && false || echo "fallback $MODE"; echo done 2>&1');
    expect(list).toEqual({ code: 0, stdout: 'tools\nfallback strict\ndone\n', stderr: '' });
    const pipe = await exec('sh', '-c', 'env | grep DB');
    expect(pipe.code).toBe(2);
    expect(pipe.stderr).toContain('sh: pipes are not simulated');
    const ls = await exec('ls', '/');
    expect(ls.code).toBe(126);
    expect(ls.stderr).toContain('anything else needs a real container (use the kind backend)');
    expect((await exec('nslookup', 'nothing.app.svc.cluster.local')).stdout).toContain(
      "** server can't find nothing.app.svc.cluster.local: NXDOMAIN",
    );
  });
});
