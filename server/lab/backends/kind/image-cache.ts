import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandResult, RunOptions } from '../command-runner.ts';

type Run = (command: string, args: string[], options?: RunOptions) => Promise<CommandResult>;

/** The images a rendered manifest runs (`image:` fields), so they can be cached and preloaded. */
export async function manifestImages(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  const images = new Set<string>();
  for (const m of text.matchAll(/^\s*(?:-\s+)?image:\s*["']?([^"'\s]+)["']?\s*$/gm)) images.add(m[1]!);
  return [...images].sort();
}

const archiveName = (image: string) => image.replace(/[^a-zA-Z0-9_.-]+/g, '_') + '.tar';

/**
 * `labs kind images save`: pulls each image once and saves it to the cache folder (one
 * docker-save archive per image), so clusters load them instead of pulling per session.
 */
export async function saveImages(run: Run, images: string[], cacheDir: string): Promise<string[]> {
  const saved: string[] = [];
  for (const image of images) {
    const pulled = await run('docker', ['pull', image], { timeoutMs: 600_000 });
    if (pulled.exitCode !== 0) throw new Error(`docker pull ${image} failed: ${pulled.stderr.trim()}`);
    const path = join(cacheDir, archiveName(image));
    const out = await run('docker', ['save', '-o', path, image], { timeoutMs: 600_000 });
    if (out.exitCode !== 0) throw new Error(`docker save ${image} failed: ${out.stderr.trim()}`);
    saved.push(path);
  }
  return saved;
}

/** Loads every cached archive into a cluster with one `kind load image-archive` (kind ≥ v0.24 takes several). */
export async function preloadImages(
  run: Run,
  cacheDir: string,
  cluster: string,
  signal?: AbortSignal,
): Promise<number> {
  const archives = (await readdir(cacheDir).catch((): string[] => []))
    .filter((f) => f.endsWith('.tar'))
    .sort()
    .map((f) => join(cacheDir, f));
  if (archives.length === 0) return 0;
  const loaded = await run('kind', ['load', 'image-archive', ...archives, '--name', cluster], {
    timeoutMs: 600_000,
    signal,
  });
  if (loaded.exitCode !== 0)
    throw new Error(`kind load image-archive failed: ${(loaded.stderr || loaded.stdout).trim().split('\n').pop()}`);
  return archives.length;
}
