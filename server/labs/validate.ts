import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labDirs, loadLab, type LabProblem } from './load.ts';

/** Validates one lab folder, or every lab under a labs folder. */
export async function validateLabs(path: string): Promise<{ labs: number; problems: LabProblem[] }> {
  const target = resolve(path);
  const dirs = existsSync(join(target, 'lab.yaml')) ? [target] : await labDirs(target);
  const root = existsSync(join(target, 'lab.yaml')) ? resolve(target, '..') : target;
  const problems: LabProblem[] = [];
  if (dirs.length === 0)
    problems.push({ file: target, line: 1, field: '(folder)', message: 'no lab.yaml found here or in its subfolders' });
  for (const dir of dirs) problems.push(...(await loadLab(dir, root)).problems);
  return { labs: dirs.length, problems };
}

export function formatProblem(p: LabProblem): string {
  return `${p.file}:${p.line}: ${p.field}: ${p.message}`;
}
