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
