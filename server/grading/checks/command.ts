import type { z } from 'zod';
import type { commandCheck } from '../../../src/contracts/lab.ts';
import { readCommandLog } from '../../lab/workspace.ts';
import { message } from '../messages.ts';
import type { CheckRunner } from '../types.ts';

/** The session's command log holds a matching command that exited as expected (0 by default). */
export const runCommand: CheckRunner<z.infer<typeof commandCheck>> = async (check, ctx) => {
  const re = new RegExp(check.pattern);
  const wanted = check.exitCode ?? 0;
  const hit = (await readCommandLog(ctx.workspace)).reverse().find((c) => re.test(c.command) && c.exit === wanted);
  if (hit) return { passed: true, message: message(ctx.locale, 'command.pass', { command: hit.command }) };
  const exit = ctx.locale === 'es' ? ` (con código de salida ${wanted})` : ` (exiting with ${wanted})`;
  return { passed: false, message: message(ctx.locale, 'command.missing', { pattern: `/${check.pattern}/`, exit }) };
};
