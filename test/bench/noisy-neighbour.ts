import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppServer } from '../../server/app.ts';
import { createLabServer } from '../../server/lab/server.ts';
import { workspacePaths } from '../../server/lab/workspace.ts';
import { percentile, report } from './stats.ts';

/** Wall time of one kubectl run against a session's cluster (the server's kubeconfig). */
function kubectl(kubeconfig: string, args: string[]): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig } }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`))
        : resolve({ ms: performance.now() - t0, out: stdout }),
    );
  });
}

async function pageLoad(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - t0;
}

/**
 * One learner scales a Deployment to 3000 replicas; another learner's `kubectl get pods` and
 * page loads, on the same lab server, while A's controllers work through it, as a ratio to
 * the same measurements when A is idle.
 */
export async function benchNoisyNeighbour(): Promise<boolean> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-noisy-'));
  const lab = await createLabServer({ dataDir, labsDir: join(import.meta.dirname, '..', '..', 'labs') });
  const server = createAppServer(join(import.meta.dirname, '..', '..', 'dist'), lab.http);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const page = `http://127.0.0.1:${(server.address() as AddressInfo).port}/en/`;
  const kubeconfigOf = async (learner: string) => {
    const info = await lab.sessions.create(learner, 'security-basics');
    await lab.sessions.whenReady(info.id);
    return workspacePaths(lab.sessions.workspace(info.id)).graderKubeconfig;
  };
  const a = await kubeconfigOf('noisy');
  const b = await kubeconfigOf('neighbour');

  await kubectl(b, ['get', 'pods']); // discovery cache, as a learner's first command
  const idlePods: number[] = [];
  const idlePages: number[] = [];
  for (let i = 0; i < 10; i++) {
    idlePods.push((await kubectl(b, ['get', 'pods'])).ms);
    idlePages.push(await pageLoad(page));
  }

  const created = await kubectl(a, ['create', 'deployment', 'amp', '--image=nginx:1.27', '--replicas=3000']);
  const busyPods: number[] = [];
  const busyPages: number[] = [];
  const started = Date.now();
  // While A's ReplicaSet fills the cluster up to its pod quota (and a little after).
  while (Date.now() - started < 15_000) {
    busyPods.push((await kubectl(b, ['get', 'pods'])).ms);
    busyPages.push(await pageLoad(page));
  }
  const aPods = (await kubectl(a, ['get', 'pods', '--no-headers'])).out.split('\n').filter(Boolean).length;
  const refused = (await kubectl(a, ['get', 'replicaset', '-o', 'jsonpath={.items[0].status.conditions[0].message}']))
    .out;

  await lab.close();
  server.closeAllConnections();
  server.close();
  await rm(dataDir, { recursive: true, force: true });
  console.log(`\n  A: ${created.out.trim()}; ${aPods} pods after 15 s; ReplicaSet says: ${refused || '(nothing)'}`);
  const idle = percentile(idlePods, 50);
  return report('Noisy neighbour (A: 3000 replicas; B: kubectl get pods and a page, same server)', [
    { name: 'B kubectl get pods p50, A idle', value: idle, unit: 'ms' },
    { name: 'B kubectl get pods p50, A scaling', value: percentile(busyPods, 50), unit: 'ms' },
    {
      name: 'B kubectl get pods p95, A scaling',
      value: percentile(busyPods, 95),
      unit: 'ms',
      target: { op: '<', value: 1000 },
    },
    {
      name: 'B kubectl get pods p50 ratio (scaling / idle)',
      value: percentile(busyPods, 50) / idle,
      unit: 'x',
      // Before pod creations were paced and the per-pod scans went, this was a stall of minutes.
      target: { op: '<', value: 3 },
    },
    { name: 'B page load p50, A idle', value: percentile(idlePages, 50), unit: 'ms' },
    {
      name: 'B page load p95, A scaling',
      value: percentile(busyPages, 95),
      unit: 'ms',
      target: { op: '<', value: 1000 },
    },
    {
      name: 'B page load p50 ratio (scaling / idle)',
      value: percentile(busyPages, 50) / percentile(idlePages, 50),
      unit: 'x',
    },
  ]);
}
