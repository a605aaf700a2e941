import { isAbsolute, normalize } from 'node:path';
import type { MessageKey } from './messages.ts';
import type { GradingContext } from './types.ts';

/** Largest file a check reads (Trivy reports of big images run to a few MiB). */
export const maxHomeFileBytes = 32 * 1024 * 1024;

/** A file a check may not read: it resolves outside HOME, is no regular file, or is too large. */
export class HomeFileRefused extends Error {
  readonly key: MessageKey;
  readonly path: string;
  constructor(key: MessageKey, path: string) {
    super(`${key}: ${path}`);
    this.key = key;
    this.path = path;
  }
}

/**
 * A file in the learner's HOME as text, or undefined when it is missing. It is read with the
 * learner's rights (never the server's); a path that leaves HOME, or a symlink resolving
 * outside it, is refused with HomeFileRefused.
 */
export async function readHomeFile(ctx: GradingContext, path: string): Promise<string | undefined> {
  const relative = normalize(path);
  if (isAbsolute(relative) || relative === '..' || relative.startsWith('../'))
    throw new Error(`file check path escapes HOME: ${path}`);
  const read = await ctx.learner.readFile(relative, maxHomeFileBytes);
  if (read.ok) return read.data.toString('utf8');
  if (read.reason === 'missing') return undefined;
  const key = { 'outside-home': 'file.outside', 'not-a-file': 'file.notFile', 'too-large': 'file.tooLarge' } as const;
  throw new HomeFileRefused(key[read.reason], path);
}
