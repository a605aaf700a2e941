import { execFile } from 'node:child_process';
import { spawn } from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

/**
 * kubectl 1.33 exec into simulated pods over the WebSocket streaming protocol, with
 * NetworkPolicies applied by the engine: the "Must show" list, command by command.
 */

const binary = kubectlBinaries(['1.33'])[0];
/** kubectl 1.29 speaks only SPDY for exec (WebSocket is on by default from 1.30). */
const spdyClient = kubectlBinaries(['1.29']).find((b) => b.version === '1.29');
if (!binary) console.warn('kubectl not found on PATH: exec tests skipped');

const topology = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: front, namespace: shop, labels: {app: front}}
spec:
  containers: [{name: shell, image: busybox:1.36, command: [sleep, '3600']}]
---
apiVersion: v1
kind: Pod
metadata: {name: back, namespace: shop, labels: {app: back}}
spec:
  containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 80, name: http}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec:
  containers: [{name: db, image: postgres:17, ports: [{containerPort: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: back, namespace: shop}
spec:
  selector: {app: back}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  selector: {app: db}
  ports: [{port: 5432}]
`;

const denyIngress = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`;

const allowFront = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: back-from-front, namespace: shop}
spec:
  podSelector: {matchLabels: {app: back}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: front}}}]
    ports: [{port: 80}]
`;

const denyEgress = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
`;

const allowDnsAndBack = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: front-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: front}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
  - to: [{podSelector: {matchLabels: {app: back}}}]
    ports: [{port: 80}]
`;

describe.skipIf(!binary)('kubectl 1.33 exec into simulated pods under NetworkPolicy', () => {
  const k = new KubectlHarness(binary?.path ?? 'kubectl');
  const exec = (...argv: string[]) => k.run(['-n', 'shop', 'exec', 'front', '--', ...argv]);
  const apply = async (name: string, text: string) => {
    const result = await k.run(['apply', '-f', await k.file(name, text)]);
    expect(result.stderr).toBe('');
  };

  beforeAll(async () => {
    await k.start();
    await apply('topology.yaml', topology);
    const ready = await k.run(['-n', 'shop', 'wait', '--for=condition=Ready', 'pod', '--all', '--timeout=30s']);
    expect(ready.code).toBe(0);
  }, 60_000);
  afterAll(() => k.stop());

  it('wget reaches back without policies, times out under default deny, and works again once front is allowed', async () => {
    const open = await exec('wget', '-qO-', '-T', '2', 'http://back');
    expect(open.code).toBe(0);
    expect(open.stdout).toContain('<h1>back</h1>');

    await apply('deny.yaml', denyIngress);
    const started = Date.now();
    const denied = await exec('wget', '-qO-', '-T', '2', 'http://back');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe('wget: download timed out\ncommand terminated with exit code 1\n');
    // A dropped connection waits out the deadline, as with a real CNI.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);

    await apply('allow.yaml', allowFront);
    const allowed = await exec('wget', '-qO-', '-T', '2', 'http://back');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('<h1>back</h1>');

    // front → db stays blocked: nothing allows ingress to db.
    const db = await exec('nc', '-z', '-w', '2', 'db', '5432');
    expect(db.code).toBe(1);
    expect(db.stderr).toContain('nc: timeout');
  });

  it('logs an access line on back for each connection it accepted', async () => {
    const frontIp = (await k.run(['-n', 'shop', 'get', 'pod', 'front', '-o', 'jsonpath={.status.podIP}'])).stdout;
    const logs = await k.run(['-n', 'shop', 'logs', 'back']);
    const lines = logs.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line).toMatch(
        new RegExp(`^${frontIp.replaceAll('.', '\\.')} - - \\[.+\\] "GET / HTTP/1\\.1" 200 \\d+ "-" "Wget"$`),
      );
  });

  it('nslookup answers the ClusterIP and the EndpointSlice lists the pod', async () => {
    const clusterIp = (await k.run(['-n', 'shop', 'get', 'svc', 'back', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    const lookup = await exec('nslookup', 'back.shop.svc.cluster.local');
    expect(lookup.code).toBe(0);
    expect(lookup.stdout).toBe(
      `Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tback.shop.svc.cluster.local\nAddress: ${clusterIp}\n\n`,
    );
    const backIp = (await k.run(['-n', 'shop', 'get', 'pod', 'back', '-o', 'jsonpath={.status.podIP}'])).stdout;
    const slices = await k.run(['-n', 'shop', 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=back']);
    expect(slices.stdout).toMatch(new RegExp(`^back-\\w{5}\\s+IPv4\\s+80\\s+${backIp.replaceAll('.', '\\.')}\\s`, 'm'));
    expect((await exec('cat', '/etc/resolv.conf')).stdout).toBe(
      'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });

  it('default deny egress without a DNS rule fails on name resolution; a DNS rule fixes it', async () => {
    await apply('deny-egress.yaml', denyEgress);
    const noDns = await exec('wget', '-qO-', '-T', '2', 'http://back');
    expect(noDns.code).toBe(1);
    expect(noDns.stderr).toBe("wget: bad address 'back'\ncommand terminated with exit code 1\n");
    await apply('front-egress.yaml', allowDnsAndBack);
    const fixed = await exec('wget', '-qO-', '-T', '2', 'http://back');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('<h1>back</h1>');
  });

  it('runs an interactive shell through a pty (kubectl exec -it)', async () => {
    const term = spawn(binary!.path, ['-n', 'shop', 'exec', '-it', 'front', '--', 'sh'], {
      cols: 100,
      rows: 30,
      env: { PATH: process.env.PATH ?? '', HOME: k.home, KUBECONFIG: k.kubeconfig, TERM: 'xterm' },
    });
    let screen = '';
    term.onData((d) => (screen += d));
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    const waitFor = async (text: string, from = 0) => {
      const deadline = Date.now() + 15_000;
      while (!screen.slice(from).includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(screen.slice(from)).toContain(text);
    };
    await waitFor('/ # ');
    let mark = screen.length;
    term.write('hostnamx\x7fe\r');
    await waitFor('front\r\n/ # ', mark);
    mark = screen.length;
    term.write('id && echo "ns=$(none)" ; exit 3\r');
    await waitFor('uid=0(root) gid=0(root) groups=0(root)', mark);
    expect(await exited).toBe(3);
    expect(screen).toContain('command terminated with exit code 3');
  });

  it.skipIf(!spdyClient)(
    'tells a SPDY-only kubectl (1.29) plainly that exec needs the WebSocket protocol',
    async () => {
      const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(
          spdyClient!.path,
          ['-n', 'shop', 'exec', 'front', '--', 'hostname'],
          { env: { PATH: process.env.PATH, HOME: k.home, KUBECONFIG: k.kubeconfig }, timeout: 20_000 },
          (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
        ),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'this client asked for SPDY, which it does not serve (use a newer kubectl, or the kind backend)',
      );
    },
  );
});
