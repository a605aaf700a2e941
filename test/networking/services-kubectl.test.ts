import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const binary = kubectlBinaries(['1.33'])[0];
if (!binary) console.warn('kubectl not found on PATH: Service tests skipped');

const until = async <T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await probe();
  }
  return value;
};

describe.skipIf(!binary)('Services, endpoints and cluster DNS objects (kubectl 1.33)', () => {
  const k = new KubectlHarness(binary?.path ?? 'kubectl');
  beforeAll(async () => {
    await k.start();
    await k.run(['create', 'namespace', 'shop']);
    await k.run(['-n', 'shop', 'create', 'deployment', 'back', '--image=nginx:1.27', '--port=80']);
    await k.run(['-n', 'shop', 'expose', 'deployment', 'back', '--port=80']);
  }, 60_000);
  afterAll(() => k.stop());

  it('allocates ClusterIPs from 10.96.0.0/12 and refuses one in use', async () => {
    const ip = (await k.run(['-n', 'shop', 'get', 'svc', 'back', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    expect(ip).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    const dup = await k.file(
      'dup.yaml',
      'apiVersion: v1\nkind: Service\nmetadata: {name: dup, namespace: shop}\nspec:\n  clusterIP: ' +
        ip +
        '\n  ports: [{port: 80}]\n',
    );
    const refused = await k.run(['apply', '-f', dup]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `spec.clusterIPs: Invalid value: ["${ip}"]: failed to allocate IP ${ip}: provided IP is already allocated`,
    );
  });

  it('serves headless and NodePort Services', async () => {
    await k.run(['-n', 'shop', 'create', 'service', 'clusterip', 'hl', '--clusterip=None', '--tcp=80']);
    await k.run(['-n', 'shop', 'create', 'service', 'nodeport', 'np', '--tcp=80:8080']);
    const out = (await k.run(['-n', 'shop', 'get', 'svc', 'hl', 'np', '--no-headers'])).stdout.split('\n');
    expect(out[0]).toMatch(/^hl\s+ClusterIP\s+None\s+<none>\s+80\/TCP/);
    const nodePort = Number(/80:(\d+)\/TCP/.exec(out[1] ?? '')?.[1]);
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort).toBeLessThanOrEqual(32767);
  });

  it('lists the backing pod in the EndpointSlice and the Endpoints of the Service', async () => {
    const podIp = await until(
      async () =>
        (await k.run(['-n', 'shop', 'get', 'pods', '-l', 'app=back', '-o', 'jsonpath={.items[0].status.podIP}']))
          .stdout,
      (v) => v !== '',
    );
    expect(podIp).toMatch(/^10\.244\.0\.\d+$/);
    const slices = await until(
      () => k.run(['-n', 'shop', 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=back']),
      (r) => r.stdout.includes(podIp),
    );
    expect(slices.stdout).toMatch(
      new RegExp(`^back-[a-z0-9]{5}\\s+IPv4\\s+80\\s+${podIp.replaceAll('.', '\\.')}\\s+`, 'm'),
    );
    const ep = await k.run([
      '-n',
      'shop',
      'get',
      'endpoints',
      'back',
      '-o',
      'jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}',
    ]);
    expect(ep.stdout).toBe(`${podIp}:80`);
    // As from 1.33, every Endpoints request carries the deprecation warning.
    expect(ep.stderr).toBe('Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n');
    // Scaled to zero, the slice empties and the Endpoints lose their subsets.
    await k.run(['-n', 'shop', 'scale', 'deployment', 'back', '--replicas=0']);
    const empty = await until(
      () => k.run(['-n', 'shop', 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=back', '--no-headers']),
      (r) => !r.stdout.includes(podIp),
    );
    expect(empty.stdout).toMatch(/^back-[a-z0-9]{5}\s+IPv4\s+<unset>\s+<unset>\s+/);
    await k.run(['-n', 'shop', 'scale', 'deployment', 'back', '--replicas=1']);
  });

  it('keeps the API server endpoints of default/kubernetes, as kube-apiserver does', async () => {
    const slices = await until(
      () => k.run(['-n', 'default', 'get', 'endpointslices', '--no-headers']),
      (r) => r.stdout.includes('kubernetes'),
    );
    expect(slices.stdout).toMatch(/^kubernetes\s+IPv4\s+6443\s+172\.18\.0\.2\s+/m);
    const ep = await k.run(['-n', 'default', 'get', 'endpoints', 'kubernetes', '--no-headers']);
    expect(ep.stdout).toMatch(/^kubernetes\s+172\.18\.0\.2:6443\s+/);
  });

  it('runs CoreDNS in kube-system behind the kube-dns Service on 10.96.0.10', async () => {
    const svc = await k.run(['-n', 'kube-system', 'get', 'svc', 'kube-dns', '--no-headers']);
    expect(svc.stdout).toMatch(/^kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP\s+/);
    const ready = await until(
      () => k.run(['-n', 'kube-system', 'get', 'deployment', 'coredns', '-o', 'jsonpath={.status.readyReplicas}']),
      (r) => r.stdout === '2',
    );
    expect(ready.stdout).toBe('2');
    const pods = await k.run(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-dns', '--no-headers']);
    expect(pods.stdout.trim().split('\n')).toHaveLength(2);
  });
});
