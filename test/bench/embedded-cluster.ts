import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { kubectlBinaries } from '../helpers/kubectl.ts';
import { percentile, report, type Result } from './stats.ts';

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function startTimes(runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const cluster = await new EmbeddedCluster().start();
    const elapsed = performance.now() - t0;
    await cluster.stop();
    if (i > 0) times.push(elapsed); // the first start loads modules and schemas once per process
  }
  return times;
}

async function idleMemoryPerCluster(count: number): Promise<{ heap: number; rss: number }> {
  const warm = await new EmbeddedCluster().start();
  await warm.settle();
  gc();
  const before = process.memoryUsage();
  const clusters: EmbeddedCluster[] = [];
  for (let i = 0; i < count; i++) {
    const c = await new EmbeddedCluster().start();
    await c.settle();
    clusters.push(c);
  }
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const after = process.memoryUsage();
  for (const c of [...clusters, warm]) await c.stop();
  const mib = 1024 * 1024;
  return { heap: (after.heapUsed - before.heapUsed) / count / mib, rss: (after.rss - before.rss) / count / mib };
}

async function kubectlGetPods(runs: number): Promise<number[] | undefined> {
  const kubectl = kubectlBinaries(['1.32'])[0];
  if (!kubectl) return undefined;
  const home = await mkdtemp(join(tmpdir(), 'bench-kubectl-'));
  const cluster = await new EmbeddedCluster().start();
  const kubeconfig = join(home, 'kubeconfig');
  await writeFile(kubeconfig, await cluster.kubeconfig());
  const run = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      execFile(
        kubectl.path,
        ['get', 'pods'],
        { env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig } },
        (error) => (error ? reject(error) : resolve(performance.now() - t0)),
      );
    });
  await run(); // fills kubectl's discovery cache, as a learner's first command does
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await run());
  await cluster.stop();
  await rm(home, { recursive: true, force: true });
  return times;
}

export async function benchEmbeddedCluster(): Promise<boolean> {
  const starts = await startTimes(30);
  const memory = await idleMemoryPerCluster(20);
  const kubectl = await kubectlGetPods(20);
  const results: Result[] = [
    {
      name: 'cluster start p50 (30 starts)',
      value: percentile(starts, 50),
      unit: 'ms',
      target: { op: '<', value: 100 },
    },
    { name: 'cluster start p95', value: percentile(starts, 95), unit: 'ms' },
    { name: 'idle cluster heap (mean of 20)', value: memory.heap, unit: 'MiB', target: { op: '<', value: 10 } },
    { name: 'idle cluster RSS (mean of 20)', value: memory.rss, unit: 'MiB' },
  ];
  if (kubectl) {
    results.push({ name: 'kubectl get pods wall time p50 (20 runs)', value: percentile(kubectl, 50), unit: 'ms' });
    results.push({ name: 'kubectl get pods wall time p95', value: percentile(kubectl, 95), unit: 'ms' });
  } else {
    console.log('kubectl not found: skipping the kubectl get pods measurement');
  }
  if (!(globalThis as { gc?: unknown }).gc)
    console.log('note: run with --expose-gc (npm run bench does) for stable heap figures');
  return report('Embedded cluster', results);
}
