import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { execaRunner } from '../lab/backends/command-runner.ts';
import { KindBackend } from '../lab/backends/kind/backend.ts';
import { installId } from '../lab/backends/kind/install-id.ts';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedCluster } from '../cluster/embedded/cluster.ts';

export const clusterUpUsage = `Usage: labs cluster up [--dir DIR] [--port PORT] [--user NAME] [--group GROUP]...
       labs cluster up --backend kind [--dir DIR] [--addon kyverno]...

Starts one embedded Kubernetes 1.34 API server (no containers run; pods are simulated),
writes DIR/kubeconfig and keeps running until interrupted. State is saved in DIR, so
starting again with the same --dir resumes the same cluster.

With --backend kind it creates (or, with the same --dir, adopts) a real kind cluster on the
pinned node image, installs the add-ons named and returns once they are ready.`;

/** `labs cluster up`: one embedded cluster in the foreground, for learners and tests. */
export async function clusterUp(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string', default: '.embedded-cluster' },
      port: { type: 'string', default: '0' },
      user: { type: 'string', default: 'kubernetes-admin' },
      group: { type: 'string', multiple: true },
      backend: { type: 'string', default: 'embedded' },
      addon: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(clusterUpUsage);
    return;
  }
  if (values.backend === 'kind') return kindClusterUp(resolve(values.dir), values.addon ?? []);
  if (values.backend !== 'embedded') throw new Error(`--backend must be embedded or kind, got "${values.backend}"`);
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

/** `labs cluster up --backend kind`: one kind cluster with its add-ons, kept after the command ends. */
async function kindClusterUp(dir: string, addons: string[]): Promise<void> {
  const unknown = addons.filter((a) => a !== 'kyverno');
  if (unknown.length) throw new Error(`unknown add-on ${unknown.join(', ')}; known: kyverno`);
  await mkdir(dir, { recursive: true });
  const backend = new KindBackend({ runner: execaRunner, installId: await installId(dir) });
  const preflight = await backend.preflight();
  if (!preflight.ok) throw new Error(`the kind backend cannot run here: ${preflight.reason}`);
  const idFile = join(dir, 'session-id');
  let resuming = true;
  const sessionId = await readFile(idFile, 'utf8').then(
    (t) => t.trim(),
    async () => {
      resuming = false;
      const id = randomBytes(6).toString('hex');
      await writeFile(idFile, id + '\n');
      return id;
    },
  );
  const result = await backend.provision({
    sessionId,
    resuming,
    workspace: dir,
    lab: { id: 'cluster-up', dir, backends: ['kind'], personas: [], addons, tools: [], setup: [] },
    onStage: (s) => console.log(`${s.progress === undefined ? '' : `[${Math.round(s.progress * 100)}%] `}${s.message}`),
  });
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, result.kubeconfig, { mode: 0o600 });
  const name = await backend.clusterName(sessionId, dir);
  console.log(`kind cluster ${name} (Kubernetes 1.34) is ready`);
  console.log(`export KUBECONFIG=${kubeconfigPath}`);
  console.log(`delete it with: kind delete cluster --name ${name}`);
  process.exit(0);
}
