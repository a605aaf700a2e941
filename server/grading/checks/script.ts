import { execa } from 'execa';
import type { z } from 'zod';
import type { scriptCheck } from '../../../src/contracts/lab.ts';
import { message } from '../messages.ts';
import type { CheckRunner } from '../types.ts';

/** The escape hatch: a bash script in the learner's environment; exit 0 passes. */
export const runScript: CheckRunner<z.infer<typeof scriptCheck>> = async (check, ctx) => {
  const seconds = check.timeoutSeconds ?? 15;
  const result = await execa('bash', ['-c', check.run], {
    cwd: ctx.home,
    env: ctx.env,
    extendEnv: false,
    timeout: seconds * 1000,
    cancelSignal: ctx.signal,
    reject: false,
    all: true,
  });
  if (result.timedOut) return { passed: false, message: message(ctx.locale, 'script.timeout', { seconds }) };
  if (result.exitCode === 0) return { passed: true, message: message(ctx.locale, 'script.pass') };
  const output = String(result.all ?? '')
    .trim()
    .split('\n')
    .slice(-5)
    .join('\n');
  return { passed: false, message: message(ctx.locale, 'script.fail', { code: result.exitCode ?? -1, output }) };
};
