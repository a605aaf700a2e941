import { createHash } from 'node:crypto';

/**
 * Image archives in the `docker save` layout (manifest.json, a config blob, one tar per layer),
 * the format `trivy image --input`, `docker load` and `crane` read. Written byte-for-byte
 * reproducibly, so a lab's image has the same digests on every machine, and read back so a
 * grader can tell which image a report describes.
 */

export interface TarEntry {
  /** Path inside the archive, without a leading slash; directories end with "/". */
  name: string;
  /** File content; absent for directories. */
  data?: Buffer;
  mode?: number;
}

const block = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(entry: TarEntry, mtime: number): Buffer {
  const h = Buffer.alloc(block);
  const isDir = entry.name.endsWith('/');
  let name = entry.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155)
      throw new Error(`path too long for a tar header: ${entry.name}`);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(entry.mode ?? (isDir ? 0o755 : 0o644), 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  h.write(octal(isDir ? 0 : (entry.data?.length ?? 0), 12), 124, 12, 'ascii');
  h.write(octal(mtime, 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write(isDir ? '5' : '0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

/** A ustar archive of the entries, in the order given, with one fixed modification time. */
export function writeTar(entries: TarEntry[], mtime = 0): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry, mtime));
    if (entry.data && !entry.name.endsWith('/')) {
      parts.push(entry.data);
      const pad = (block - (entry.data.length % block)) % block;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(block * 2));
  return Buffer.concat(parts);
}

/** Regular files of a ustar archive by path (directories and links are skipped). */
export function readTar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let offset = 0;
  while (offset + block <= tar.length) {
    const h = tar.subarray(offset, offset + block);
    if (h.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      h
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = [field(345, 155), field(0, 100)].filter(Boolean).join('/');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    if (!Number.isFinite(size) || size < 0) throw new Error(`not a tar archive (bad size at ${offset})`);
    const start = offset + block;
    if (start + size > tar.length) throw new Error('truncated tar archive');
    if (type === '0') files.set(name.replace(/^\.\//, ''), tar.subarray(start, start + size));
    offset = start + Math.ceil(size / block) * block;
  }
  return files;
}

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface ImageLayer {
  entries: TarEntry[];
  createdBy: string;
}

export interface ImageSpec {
  repoTags: string[];
  /** RFC 3339 build time; also the modification time of every file. */
  created: string;
  config: Record<string, unknown>;
  layers: ImageLayer[];
  architecture?: string;
}

export interface ArchiveIdentity {
  /** sha256 of the config blob: what Trivy reports as Metadata.ImageID. */
  imageId: string;
  /** sha256 of each uncompressed layer: Metadata.DiffIDs. */
  diffIds: string[];
  repoTags: string[];
}

/** Builds a `docker save` archive; the same spec always gives the same bytes. */
export function buildImageArchive(spec: ImageSpec): { archive: Buffer } & ArchiveIdentity {
  const mtime = Math.floor(Date.parse(spec.created) / 1000);
  if (!Number.isFinite(mtime)) throw new Error(`created is not a date: ${spec.created}`);
  const layers = spec.layers.map((l) => writeTar(l.entries, mtime));
  const diffIds = layers.map((l) => sha256(l));
  const config = Buffer.from(
    JSON.stringify({
      architecture: spec.architecture ?? 'amd64',
      os: 'linux',
      created: spec.created,
      config: spec.config,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: spec.layers.map((l) => ({ created: spec.created, created_by: l.createdBy })),
    }),
  );
  const imageId = sha256(config);
  const blob = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  const manifest = [{ Config: blob(imageId), RepoTags: spec.repoTags, Layers: diffIds.map(blob) }];
  const entries: TarEntry[] = [
    { name: 'blobs/' },
    { name: 'blobs/sha256/' },
    { name: blob(imageId), data: config },
    ...layers.map((data, i) => ({ name: blob(diffIds[i]!), data })),
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
  ];
  return { archive: writeTar(entries, mtime), imageId, diffIds, repoTags: spec.repoTags };
}

/** Which image an archive holds, computed from its bytes the way Trivy and docker do. */
export function archiveIdentity(archive: Buffer): ArchiveIdentity {
  const files = readTar(archive);
  const manifestText = files.get('manifest.json');
  if (!manifestText) throw new Error('not an image archive: no manifest.json');
  const manifest = JSON.parse(manifestText.toString('utf8')) as Array<{ Config: string; RepoTags?: string[] }>;
  const first = manifest[0];
  const config = first ? files.get(first.Config) : undefined;
  if (!first || !config) throw new Error('not an image archive: the config blob is missing');
  const parsed = JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
  return { imageId: sha256(config), diffIds: parsed.rootfs?.diff_ids ?? [], repoTags: first.RepoTags ?? [] };
}
