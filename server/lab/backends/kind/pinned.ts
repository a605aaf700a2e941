/**
 * The one tested set the kind backend runs: a kind release and the node image built for it,
 * pinned by digest (kind's release notes: "You must use the @sha256 digest to guarantee an
 * image built for this release"). Kubernetes 1.34, the embedded cluster's minor: inside
 * kubectl 1.31–1.33's skew, Kyverno 1.19's tested range and kube-bench's cis-1.12 mapping.
 * Source: kind v0.33.0 release notes, "Images pre-built for this release".
 */
export const pinnedKind = {
  kindVersion: 'v0.33.0',
  kubernetesVersion: 'v1.34.11',
  nodeImage: 'kindest/node:v1.34.11@sha256:44e222ee2132dab25ff87301682f89eb82c7880ea3a1bf543bfe9708fd08d67d',
  /** kind's friendly name for it in progress lines (the digest dropped). */
  nodeImageTag: 'kindest/node:v1.34.11',
} as const;

/** `kind version` prints "kind v0.33.0 go1.25.1 linux/amd64". */
export function parseKindVersion(stdout: string): string | undefined {
  return /\bkind (v\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1];
}
