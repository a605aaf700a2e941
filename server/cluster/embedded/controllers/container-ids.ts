import { createHash } from 'node:crypto';

/**
 * The identifiers a kubelet on containerd reports in status.containerStatuses. No image is
 * pulled here, so an image without a digest gets one derived from its normalized reference:
 * stable for the same reference, different for different ones.
 */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Splits an image reference into its normalized repository ("docker.io/library/nginx"), tag and digest. */
export function normalizeImage(image: string): { repository: string; tag?: string; digest?: string } {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  // As distribution/reference normalizes: a first part with '.' or ':' (or localhost) is a registry.
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repository = hasDomain ? rest : `docker.io/${rest}`;
  if (repository.startsWith('docker.io/') && !repository.slice('docker.io/'.length).includes('/'))
    repository = `docker.io/library/${repository.slice('docker.io/'.length)}`;
  repository = repository.toLowerCase();
  if (!tag && !digest) tag = 'latest';
  return { repository, tag, digest };
}

/** "docker.io/library/nginx@sha256:<64 hex>": the image's repo digest, as containerd reports it. */
export function imageID(image: string): string {
  const { repository, tag, digest } = normalizeImage(image);
  if (digest && /^sha256:[0-9a-f]{64}$/.test(digest)) return `${repository}@${digest}`;
  return `${repository}@sha256:${sha256(`${repository}:${tag ?? 'latest'}`)}`;
}

/** "containerd://<64 hex>": a container id, unique per pod, container and restart. */
export function containerID(podUID: string, container: string, restartCount = 0): string {
  return `containerd://${sha256(`${podUID}/${container}/${restartCount}`)}`;
}
