import { existsSync } from 'node:fs';
import { join } from 'node:path';

const projectRoot = join(import.meta.dirname, '..', '..');

/** Where `labs tools fetch` installs the pinned tools (`<dir>/bin`) and its lock file. */
export function vendoredToolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAB_TOOLS_DIR ?? join(projectRoot, 'var', 'tools');
}

export function toolsLockPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAB_TOOLS_LOCK ?? join(projectRoot, 'tools.lock.json');
}

/** A vendored binary, when `labs tools fetch` installed it. */
export function vendoredTool(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = join(vendoredToolsDir(env), 'bin', name);
  return existsSync(path) ? path : undefined;
}

/** The image archives `labs kind images save` writes; used only when the folder exists. */
export function kindImageCache(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.LAB_KIND_IMAGES ?? join(projectRoot, 'var', 'kind-images');
  return existsSync(dir) ? dir : undefined;
}
