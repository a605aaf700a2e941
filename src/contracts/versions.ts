/**
 * The pinned set the course is written and tested against (style.md, "Facts and versions"),
 * shown on every lab page and used by the server's tool fetcher, so the two never disagree.
 */
export const pinnedVersions = {
  /** The Kubernetes minor of both backends: the embedded cluster and kind's node image. */
  kubernetes: '1.34',
  /** The Kyverno release the kind add-on installs and the embedded engine follows. */
  kyverno: 'v1.19.0',
  /** Host tools that `labs tools fetch` installs, checksum-verified. */
  tools: { trivy: 'v0.74.0', cosign: 'v3.1.2', crane: 'v0.22.0' },
  /**
   * Images that kind labs run inside the cluster. kube-bench v0.15.6 maps Kubernetes 1.34 to
   * the cis-1.12 benchmark (its cfg/config.yaml version_mapping).
   */
  images: { kubeBench: 'docker.io/aquasec/kube-bench:v0.15.6' },
} as const;

export type PinnedTool = keyof typeof pinnedVersions.tools;

/** "Kubernetes 1.34 · Kyverno v1.19.0 · trivy v0.74.0" for a lab's add-ons and tools. */
export function testedWith(addons: readonly string[], tools: readonly string[]): string[] {
  const list = [`Kubernetes ${pinnedVersions.kubernetes}`];
  if (addons.includes('kyverno')) list.push(`Kyverno ${pinnedVersions.kyverno}`);
  for (const tool of tools) {
    if (tool in pinnedVersions.tools) list.push(`${tool} ${pinnedVersions.tools[tool as PinnedTool]}`);
  }
  return list;
}
