import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from './types.ts';

export interface PersistedState {
  version: 1;
  revision: number;
  items: Array<{ resource: string; object: KubeObject }>;
}

const fileName = 'cluster-state.json';

/** Reads a cluster's saved objects; undefined when there is none yet. */
export async function loadState(dir: string): Promise<PersistedState | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, fileName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const state = JSON.parse(text) as PersistedState;
  if (state.version !== 1 || !Array.isArray(state.items))
    throw new Error(`${join(dir, fileName)}: unsupported state file`);
  return state;
}

/** Writes atomically (temp file then rename), so a killed server never leaves half a file. */
export async function saveState(dir: string, state: PersistedState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const target = join(dir, fileName);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(state));
  await rename(temp, target);
}
