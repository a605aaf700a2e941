import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { arch as hostArch } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { pinnedTools, releaseUrl, type PinnedTool } from './pinned-tools.ts';

export class ToolFetchError extends Error {}

export interface ToolLockEntry {
  name: string;
  version: string;
  asset: string;
  url: string;
  /** sha256 of the release asset, as the release's checksum file states it. */
  sha256: string;
  /** sha256 of the installed binary. */
  binarySha256: string;
}

export interface ToolLock {
  tools: ToolLockEntry[];
}

export async function readToolLock(path: string): Promise<ToolLock> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ToolLock;
  } catch {
    return { tools: [] };
  }
}

/** "<sha256>  <file>" lines (sha256sum and goreleaser format); a "*" before the name means binary mode. */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-f0-9]{64})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (m) sums.set(m[2]!, m[1]!);
  }
  return sums;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function download(url: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (error) {
    throw new ToolFetchError(`cannot download ${url}: ${(error as Error).message}`);
  }
  if (!res.ok) throw new ToolFetchError(`cannot download ${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

export interface FetchOptions {
  /** Where releases are served; default https://github.com. */
  baseUrl?: string;
  /** The binaries go to `<dir>/bin`. */
  dir: string;
  lockPath: string;
  only?: string[];
  arch?: 'x64' | 'arm64';
  log?: (line: string) => void;
}

/**
 * `labs tools fetch`: downloads the pinned releases, verifies each asset against the release's
 * checksum file (and against the lock, once written), installs the binary and records it. A
 * mismatch installs nothing.
 */
export async function fetchTools(options: FetchOptions): Promise<ToolLockEntry[]> {
  const base = options.baseUrl ?? 'https://github.com';
  const arch = options.arch ?? (hostArch() === 'arm64' ? 'arm64' : 'x64');
  const lock = await readToolLock(options.lockPath);
  const bin = join(options.dir, 'bin');
  await mkdir(bin, { recursive: true, mode: 0o755 });
  const tools = pinnedTools.filter((t) => !options.only?.length || options.only.includes(t.name));
  const fetched: ToolLockEntry[] = [];
  for (const tool of tools) {
    const entry = await fetchOne(tool, base, arch, bin, lock, options.log);
    lock.tools = [...lock.tools.filter((t) => t.name !== tool.name), entry];
    fetched.push(entry);
  }
  lock.tools.sort((a, b) => a.name.localeCompare(b.name));
  await mkdir(dirname(options.lockPath), { recursive: true });
  await writeFile(options.lockPath, JSON.stringify(lock, null, 2) + '\n');
  return fetched;
}

async function fetchOne(
  tool: PinnedTool,
  base: string,
  arch: 'x64' | 'arm64',
  bin: string,
  lock: ToolLock,
  log = (_: string) => {},
): Promise<ToolLockEntry> {
  const asset = tool.asset(arch);
  const sums = parseChecksums((await download(releaseUrl(base, tool, tool.checksums))).toString('utf8'));
  const expected = sums.get(asset);
  if (!expected) throw new ToolFetchError(`${tool.checksums} of ${tool.name} ${tool.version} lists no ${asset}`);
  const locked = lock.tools.find((t) => t.name === tool.name && t.version === tool.version && t.asset === asset);
  if (locked && locked.sha256 !== expected)
    throw new ToolFetchError(
      `${tool.name} ${tool.version}: the release's checksum for ${asset} (${expected}) differs from the lock file (${locked.sha256}); refusing it`,
    );
  const url = releaseUrl(base, tool, asset);
  log(`downloading ${url}`);
  const data = await download(url);
  const actual = sha256(data);
  if (actual !== expected)
    throw new ToolFetchError(
      `${tool.name} ${tool.version}: ${asset} has sha256 ${actual}, but ${tool.checksums} says ${expected}; refusing it (nothing installed)`,
    );
  const binary = tool.archive === 'binary' ? data : await extract(data, tool.member!);
  const target = join(bin, tool.name);
  const temporary = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, binary, { mode: 0o755 });
  await chmod(temporary, 0o755);
  await rename(temporary, target);
  log(`${tool.name} ${tool.version}: verified sha256 ${actual}, installed ${target}`);
  return { name: tool.name, version: tool.version, asset, url, sha256: actual, binarySha256: sha256(binary) };
}

/** One member of a tar.gz, through the system tar (no shell; the member name is fixed). */
async function extract(archive: Buffer, member: string): Promise<Buffer> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'tool-'));
  try {
    await writeFile(join(dir, 'a.tar.gz'), archive);
    const r = await execa('tar', ['-xzf', join(dir, 'a.tar.gz'), '-C', dir, '--no-same-owner', member], {
      reject: false,
    });
    if (r.exitCode !== 0) throw new ToolFetchError(`the archive has no ${member}: ${r.stderr}`);
    return await readFile(join(dir, member));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
