import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointFromKubeconfig } from '../../server/kube/client.ts';
import { execInPod, interpretProbe } from '../../server/grading/reachability-traffic.ts';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';
import { readFile } from 'node:fs/promises';

/**
 * The kind side of the reachability check: how `nc -z -v -w N` output reads (the wordings
 * busybox nc and other netcats print for each case), and the exec client it runs through,
 * driven here against the embedded cluster's real v5.channel.k8s.io stream.
 */

describe('reading nc -z output', () => {
  it.each([
    [
      'open (busybox -v)',
      { exitCode: 0, stdout: '', stderr: 'back.shop.svc.cluster.local (10.96.12.34:80) open\n' },
      'connected',
    ],
    [
      'open (OpenBSD -v)',
      { exitCode: 0, stdout: '', stderr: 'Connection to back 80 port [tcp/http] succeeded!\n' },
      'connected',
    ],
    [
      'refused',
      { exitCode: 1, stdout: '', stderr: "nc: can't connect to remote host (10.244.0.7): Connection refused\n" },
      'refused',
    ],
    ['busybox timeout', { exitCode: 1, stdout: '', stderr: 'nc: timeout\n' }, 'timeout'],
    [
      'connect timed out',
      { exitCode: 1, stdout: '', stderr: 'nc: back (10.96.12.34:80): Connection timed out\n' },
      'timeout',
    ],
    ['name does not resolve', { exitCode: 1, stdout: '', stderr: "nc: bad address 'back'\n" }, 'dns'],
    ['exec failure', { exitCode: 126, stdout: '', stderr: 'OCI runtime exec failed\n' }, 'error'],
  ] as const)('%s', (_name, result, outcome) => {
    expect(interpretProbe(result)).toBe(outcome);
  });
});

const binary = kubectlBinaries(['1.33'])[0];

describe.skipIf(!binary)('the exec client of the traffic probe', () => {
  const k = new KubectlHarness(binary?.path ?? 'kubectl');
  beforeAll(async () => {
    await k.start();
    await k.run(['create', 'namespace', 'shop']);
    await k.run(['-n', 'shop', 'run', 'back', '--image=nginx:1.27', '--labels=app=back', '--port=80', '--expose']);
    await k.run(['-n', 'shop', 'run', 'front', '--image=busybox:1.36', '--labels=app=front', '--', 'sleep', '3600']);
    expect((await k.run(['-n', 'shop', 'wait', '--for=condition=Ready', 'pod', '--all', '--timeout=30s'])).code).toBe(
      0,
    );
  }, 60_000);
  afterAll(() => k.stop());

  it('runs nc -z in a container and reads stdout, stderr and the exit status', async () => {
    const endpoint = endpointFromKubeconfig(await readFile(k.kubeconfig, 'utf8'));
    const front = { namespace: 'shop', name: 'front' };
    const open = await execInPod(endpoint, front, 'front', ['nc', '-z', '-v', '-w', '2', 'back', '80'], 15_000);
    expect(open).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: expect.stringMatching(/^back \(10\.\d+\.\d+\.\d+:80\) open\n$/),
    });
    expect(interpretProbe(open)).toBe('connected');
    const closed = await execInPod(endpoint, front, 'front', ['nc', '-z', '-w', '1', 'back', '81'], 15_000);
    expect(interpretProbe(closed)).toBe('timeout');
    await expect(execInPod(endpoint, { namespace: 'shop', name: 'nope' }, 'x', ['id'], 15_000)).rejects.toThrow(
      /HTTP 404/,
    );
  });
});
