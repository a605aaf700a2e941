import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbeddedCluster } from '../../cluster/embedded/cluster.ts';
import { defaultClusterQuota, type ClusterQuota } from '../../cluster/embedded/storage/quota.ts';
import type { ClusterBackend, ProvisionRequest, ProvisionResult } from './types.ts';

export const embeddedCapabilities = {
  containers: false,
  limitations: [
    {
      en: 'No containers run: pods are simulated. kubectl exec offers a few networking tools (wget, curl, nc, nslookup) under the NetworkPolicy engine; anything else needs the kind backend.',
      es: 'No se ejecutan contenedores: los pods son simulados. kubectl exec ofrece algunas herramientas de red (wget, curl, nc, nslookup) bajo el motor de NetworkPolicy; para todo lo demás hace falta el backend kind.',
    },
  ],
};

/** The in-process Kubernetes API server: ready in milliseconds, state kept in the session folder. */
export class EmbeddedBackend implements ClusterBackend {
  readonly name = 'embedded';
  private readonly clusters = new Map<string, EmbeddedCluster>();
  /** What each learner's cluster may hold, so one cannot slow the others. */
  readonly quota: ClusterQuota;

  constructor(options: { quota?: Partial<ClusterQuota> } = {}) {
    this.quota = { ...defaultClusterQuota, ...options.quota };
  }

  async preflight(): Promise<{ ok: true }> {
    return { ok: true };
  }

  cluster(sessionId: string): EmbeddedCluster | undefined {
    return this.clusters.get(sessionId);
  }

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    request.onStage({ stage: 'creating-cluster', message: 'Starting the embedded cluster' });
    const existing = this.clusters.get(request.sessionId);
    if (existing) await existing.stop();
    const cluster = await new EmbeddedCluster({ dir: join(request.workspace, 'cluster'), quota: this.quota }).start();
    this.clusters.set(request.sessionId, cluster);
    if (request.lab.addons.includes('kyverno')) {
      request.onStage({ stage: 'installing-add-ons', message: 'Installing the Kyverno policy types' });
      await installKyverno(cluster);
    }
    return {
      kubeconfig: await cluster.kubeconfigWithPersonas(request.lab.personas),
      namespaceHints: ['default'],
      capabilities: embeddedCapabilities,
    };
  }

  async suspend(sessionId: string): Promise<void> {
    const cluster = this.clusters.get(sessionId);
    this.clusters.delete(sessionId);
    await cluster?.stop();
  }

  async destroy(sessionId: string, workspace: string): Promise<void> {
    await this.suspend(sessionId);
    await rm(join(workspace, 'cluster'), { recursive: true, force: true });
  }

  async health(sessionId: string): Promise<boolean> {
    return this.clusters.has(sessionId);
  }
}

async function installKyverno(cluster: EmbeddedCluster): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  const { parseAllDocuments } = await import('yaml');
  const text = await readFile(new URL('../../cluster/embedded/addons/kyverno/crds.yaml', import.meta.url), 'utf8');
  const crdDef = cluster.catalog.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  const admin = { username: 'lab-server', groups: ['system:masters', 'system:authenticated'] };
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS();
    if (cluster.store.get('customresourcedefinitions.apiextensions.k8s.io', '', crd.metadata.name)) continue;
    await cluster.registry.create(crdDef, '', crd, {
      user: admin,
      dryRun: false,
      fieldManager: 'lab-server',
      warnings: [],
    });
  }
  await cluster.settle();
}
