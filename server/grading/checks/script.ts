import { z } from 'zod';
import { defineCheck } from '../plugin.ts';

/**
 * The escape hatch: a bash script in the learner's sandbox, as the learner's uid, with a
 * kubeconfig the learner cannot change; exit 0 passes.
 */
export default defineCheck({
  kind: 'script',
  schema: z.object({
    kind: z.literal('script'),
    /** Runs with bash in the session's environment; exit 0 passes. */
    run: z.string().min(1),
  }),
  messages: {
    es: {
      fail: 'La comprobación terminó con código {code}: {output}',
      timeout: 'La comprobación tardó más de {seconds} s.',
      pass: 'La comprobación terminó bien.',
    },
    en: {
      fail: 'The check ended with code {code}: {output}',
      timeout: 'The check took longer than {seconds} s.',
      pass: 'The check passed.',
    },
  },
  async run(check, ctx, say) {
    const seconds = check.timeoutSeconds ?? 15;
    const result = await ctx.learner.run(['bash', '-c', check.run], { timeoutMs: seconds * 1000, signal: ctx.signal });
    if (result.timedOut) return { passed: false, message: say('timeout', { seconds }) };
    if (result.exitCode === 0) return { passed: true, message: say('pass') };
    const output = result.all.trim().split('\n').slice(-5).join('\n');
    return { passed: false, message: say('fail', { code: result.exitCode, output }) };
  },
});
