import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { Exercise } from '../../src/contracts/lab.ts';

/**
 * The files an exercise's reference solution writes, with their full content: a value
 * starting with "@" names a file of the lab folder (checked by `labs validate`), read here.
 */
export async function solutionFiles(labDir: string, exercise: Exercise): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const [target, source] of Object.entries(exercise.solution.files ?? {})) {
    if (!source.startsWith('@')) {
      files[target] = source;
      continue;
    }
    const path = resolve(labDir, source.slice(1));
    // A lab file, never one outside the lab's folder.
    if (relative(labDir, path).startsWith('..')) throw new Error(`solution file ${source} is outside the lab`);
    files[target] = await readFile(path, 'utf8');
  }
  return files;
}
