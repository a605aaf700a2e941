import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Newest modification time of any file under `path` (a file or a folder). */
async function newestMtime(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) {
    newest = Math.max(newest, await newestMtime(join(path, entry)));
  }
  return newest;
}

/** Sources whose change means the static site must be rebuilt. */
const siteSources = ['src', 'content', 'astro.config.mjs', 'package.json'];

export async function siteIsStale(projectRoot: string, distDir: string): Promise<boolean> {
  const built = await newestMtime(join(distDir, 'index.html'));
  if (built === 0) return true;
  for (const source of siteSources) {
    if ((await newestMtime(join(projectRoot, source))) > built) return true;
  }
  return false;
}

/** Runs `astro build` with the project's own Astro, streaming its output. */
export function buildSite(projectRoot: string): Promise<void> {
  const astro = join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [astro, 'build'], {
      cwd: projectRoot,
      stdio: 'inherit',
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`astro build exited with code ${code}`))));
  });
}
