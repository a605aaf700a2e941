import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { GradingContext } from './types.ts';

/** A file in the learner's HOME as text, or undefined when it is missing; paths may not leave HOME. */
export async function readHomeFile(ctx: GradingContext, path: string): Promise<string | undefined> {
  const full = normalize(join(ctx.home, path));
  if (!full.startsWith(ctx.home)) throw new Error(`file check path escapes HOME: ${path}`);
  try {
    return await readFile(full, 'utf8');
  } catch {
    return undefined;
  }
}
