import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedCluster } from '../cluster/embedded/cluster.ts';

export const clusterUpUsage = `Usage: labs cluster up [--dir DIR] [--port PORT] [--user NAME] [--group GROUP]...

Starts one embedded Kubernetes 1.34 API server (no containers run; pods are simulated),
writes DIR/kubeconfig and keeps running until interrupted. State is saved in DIR, so
starting again with the same --dir resumes the same cluster.`;

/** `labs cluster up`: one embedded cluster in the foreground, for learners and tests. */
export async function clusterUp(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string', default: '.embedded-cluster' },
      port: { type: 'string', default: '0' },
      user: { type: 'string', default: 'kubernetes-admin' },
      group: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(clusterUpUsage);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got "${values.port}"`);
  const dir = resolve(values.dir);
  await mkdir(dir, { recursive: true });
  const cluster = await new EmbeddedCluster({ dir, port }).start();
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, await cluster.kubeconfig(values.user, values.group ?? ['system:masters']), {
    mode: 0o600,
  });
  console.log(`Embedded cluster (Kubernetes 1.34, simulated pods) listening at ${cluster.url}`);
  console.log(`export KUBECONFIG=${kubeconfigPath}`);
  const stop = async () => {
    await cluster.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
