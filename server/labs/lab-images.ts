import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { buildImageArchive, type ArchiveIdentity, type TarEntry } from '../oci/archive.ts';

/**
 * Lab images: small image archives a lab ships in files/ (so Trivy, tar and crane can read a
 * real image with no registry). Each is described by labs/<lab>/image/<name>.yaml and its
 * layer folders, and rebuilt reproducibly with `npm run labs -- images`.
 */
const layerSpec = z
  .object({
    createdBy: z.string().min(1),
    /** Folder (relative to the spec) whose files become this layer. */
    dir: z.string().min(1).optional(),
    /** Paths removed by this layer: written as whiteout files, as docker does. */
    delete: z.array(z.string().min(1)).optional(),
  })
  .strict();

const imageSpec = z
  .object({
    /** Where the archive goes, relative to the lab folder (normally under files/). */
    output: z.string().min(1),
    repoTags: z.array(z.string().min(1)).min(1),
    created: z.string().min(1),
    config: z.record(z.string(), z.unknown()),
    layers: z.array(layerSpec).min(1),
  })
  .strict();

export interface LabImage extends ArchiveIdentity {
  lab: string;
  spec: string;
  output: string;
  archive: Buffer;
}

async function filesUnder(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) out.push(`${relative(root, path)}/`, ...(await filesUnder(root, path)));
    else out.push(relative(root, path));
  }
  return out;
}

/** Parent folders first, each once, so the layer unpacks like a real one. */
function withParents(paths: string[]): string[] {
  const out: string[] = [];
  const add = (p: string) => {
    if (!out.includes(p)) out.push(p);
  };
  for (const p of paths) {
    const parts = p.replace(/\/$/, '').split('/');
    for (let i = 1; i < parts.length; i++) add(`${parts.slice(0, i).join('/')}/`);
    add(p);
  }
  return out;
}

async function layerEntries(specDir: string, layer: z.infer<typeof layerSpec>): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  if (layer.dir) {
    const root = join(specDir, layer.dir);
    for (const path of await filesUnder(root)) {
      const name = path.split(/[\\/]/).join('/');
      entries.push(name.endsWith('/') ? { name } : { name, data: await readFile(join(root, path)) });
    }
  }
  for (const removed of layer.delete ?? []) {
    const whiteout = posix.join(posix.dirname(removed), `.wh.${posix.basename(removed)}`);
    entries.push({ name: whiteout, data: Buffer.alloc(0) });
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  return withParents([...byName.keys()].sort()).map((name) => byName.get(name) ?? { name });
}

/** Builds one image from its spec file. */
export async function buildLabImage(specPath: string, lab: string): Promise<LabImage> {
  const spec = imageSpec.parse(parse(await readFile(specPath, 'utf8')));
  const specDir = dirname(specPath);
  const layers = [];
  for (const layer of spec.layers)
    layers.push({ createdBy: layer.createdBy, entries: await layerEntries(specDir, layer) });
  const built = buildImageArchive({ repoTags: spec.repoTags, created: spec.created, config: spec.config, layers });
  return { lab, spec: specPath, output: join(specDir, '..', spec.output), ...built };
}

/** Every lab image spec (labs/<lab>/image/*.yaml), built in memory. */
export async function labImages(labsDir: string): Promise<LabImage[]> {
  const images: LabImage[] = [];
  for (const lab of (await readdir(labsDir)).sort()) {
    const dir = join(labsDir, lab, 'image');
    if (!existsSync(dir)) continue;
    for (const name of (await readdir(dir)).sort()) {
      if (name.endsWith('.yaml')) images.push(await buildLabImage(join(dir, name), lab));
    }
  }
  return images;
}

/** `labs images`: writes every lab image archive; returns what it wrote. */
export async function writeLabImages(labsDir: string): Promise<LabImage[]> {
  const images = await labImages(labsDir);
  for (const image of images) {
    await mkdir(dirname(image.output), { recursive: true });
    await writeFile(image.output, image.archive);
  }
  return images;
}
