import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * This install's id, made once and kept in the data folder: kind cluster names carry it, so
 * two lab servers on one Docker host (two data folders) never reap each other's clusters.
 */
export async function installId(dataDir: string): Promise<string> {
  const path = join(dataDir, 'install-id');
  try {
    const id = (await readFile(path, 'utf8')).trim();
    if (/^[a-f0-9]{6}$/.test(id)) return id;
  } catch {
    /* first start */
  }
  const id = randomBytes(3).toString('hex');
  await writeFile(path, id + '\n', { mode: 0o600 });
  return id;
}
