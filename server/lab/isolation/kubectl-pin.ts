import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { copyFile, link, lstat, mkdir, rm, symlink } from 'node:fs/promises';
import { pinnedTools } from '../../tools/pinned-tools.ts';
import { vendoredTool } from '../../tools/location.ts';
import { dirname, join } from 'node:path';

/**
 * Which kubectl learners run. The `kubectl` on this machine's PATH may be a dispatcher that
 * picks a binary by server version and, against a 1.34 server, falls back to an older one
 * that prints a version-skew warning. Lab clusters are 1.34, so learners get the newest
 * `kubectl.1.NN` beside it within kubectl's supported skew (1.33–1.35), with no warning.
 */
export const clusterMinor = 34;

/** The kubectl found on `pathEnv`, resolved through symlinks; undefined when there is none. */
function kubectlOnPath(pathEnv: string): string | undefined {
  for (const dir of pathEnv.split(':')) {
    if (!dir) continue;
    const candidate = join(dir, 'kubectl');
    if (existsSync(candidate)) return realpathSync(candidate);
  }
  return undefined;
}

/** The versioned kubectl to pin, or undefined when the machine has no `kubectl.1.NN` in skew. */
export function pinnedKubectl(pathEnv = process.env.PATH ?? ''): string | undefined {
  const kubectl = kubectlOnPath(pathEnv);
  if (!kubectl) return undefined;
  const dir = dirname(kubectl);
  let best: { minor: number; path: string } | undefined;
  for (const name of readdirSync(dir)) {
    const minor = /^kubectl\.1\.(\d+)$/.exec(name)?.[1];
    if (minor === undefined) continue;
    const n = Number(minor);
    if (Math.abs(n - clusterMinor) > 1) continue;
    if (!best || n > best.minor) best = { minor: n, path: join(dir, name) };
  }
  return best?.path;
}

let cached: string | null | undefined;

/** pinnedKubectl() for the server's own PATH, looked up once. */
export function serverPinnedKubectl(): string | undefined {
  if (cached === undefined) cached = pinnedKubectl() ?? null;
  return cached ?? undefined;
}

/** The folder put first on a session's PATH: `kubectl` there is the pinned binary. */
export function toolsDir(runDir: string): string {
  return join(runDir, 'bin');
}

/** (Re)creates the session's tools folder; without a pinned binary it stays empty. */
export async function linkTools(runDir: string, kubectl = serverPinnedKubectl()): Promise<void> {
  const dir = toolsDir(runDir);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const kubectlLink = join(dir, 'kubectl');
  if (await lstat(kubectlLink).catch(() => undefined)) await rm(kubectlLink, { force: true });
  if (kubectl) await symlink(kubectl, kubectlLink);
  // Tools from `labs tools fetch` come first too. Hard links (copies across file systems) keep
  // them inside the sandbox's mounts, where a symlink to the project folder would dangle.
  for (const tool of pinnedTools) {
    const source = vendoredTool(tool.name);
    const target = join(dir, tool.name);
    if (await lstat(target).catch(() => undefined)) await rm(target, { force: true });
    if (source) await hardLink(source, target);
  }
}

async function hardLink(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch {
    await copyFile(source, target);
  }
}
