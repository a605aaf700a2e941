import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeClient } from '../kube/client.ts';
import { ResourcePaths } from '../kube/resources.ts';
import type { LabSummary } from '../labs/catalog.ts';

/** kubectl's client-side apply record: what `kubectl apply` three-way merges against. */
const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Creates the lab's setup manifests in a fresh cluster (objects that already exist are kept),
 * as `kubectl apply` would: each carries its last-applied configuration, so a learner who edits
 * the manifest and applies it sees no "missing annotation" warning and the fields they delete
 * are removed, as on a cluster where the team applied the objects.
 */
export async function applySetup(kubeconfig: string, lab: LabSummary): Promise<void> {
  const api = KubeClient.fromKubeconfig(kubeconfig);
  const paths = new ResourcePaths(api);
  try {
    for (const file of lab.setup) {
      for (const doc of parseAllDocuments(await readFile(join(lab.dir, file), 'utf8'))) {
        const object = doc.toJS() as {
          apiVersion: string;
          kind: string;
          metadata?: { namespace?: string; annotations?: Record<string, string> };
        } | null;
        if (!object) continue;
        const metadata = (object.metadata ??= {});
        metadata.annotations = { ...metadata.annotations, [lastApplied]: JSON.stringify(object) + '\n' };
        const located = await paths.path(object.apiVersion, object.kind, object.metadata?.namespace);
        if (!located) throw new Error(`${file}: the cluster does not serve ${object.apiVersion} ${object.kind}`);
        const res = await api.send('POST', `${located.path}?fieldManager=lab-setup`, JSON.stringify(object), {
          'content-type': 'application/json',
        });
        if (res.status >= 300 && res.status !== 409)
          throw new Error(`${file}: ${res.status} ${res.text.slice(0, 300)}`);
      }
    }
  } finally {
    api.close();
  }
}
