import { z } from 'zod';
import { defineCheck } from '../plugin.ts';
import { readablePattern } from '../readable-pattern.ts';

/**
 * The session's command log holds a matching command that exited as expected (0 by default).
 * The log is written by the learner's own shell, so a determined learner can forge it:
 * evidence of practice, never proof; every exercise pairs it with a check of the result.
 */
export default defineCheck({
  kind: 'command',
  schema: z.object({
    kind: z.literal('command'),
    /** Regular expression matched against each logged command line. */
    pattern: z.string().min(1),
    exitCode: z.number().int().optional(),
  }),
  messages: {
    es: {
      missing: 'No has ejecutado todavía `{command}`{exit}.',
      missingAny: 'No has ejecutado todavía el comando que pide este ejercicio{exit}.',
      exit: ' (con código de salida {code})',
      pass: 'Has ejecutado «{command}».',
    },
    en: {
      missing: 'You have not run `{command}`{exit} yet.',
      missingAny: 'You have not run the command this exercise asks for{exit} yet.',
      exit: ' (exiting with {code})',
      pass: 'You ran "{command}".',
    },
  },
  async run(check, ctx, say) {
    const re = new RegExp(check.pattern);
    const wanted = check.exitCode ?? 0;
    const hit = (await ctx.commands()).reverse().find((c) => re.test(c.command) && c.exit === wanted);
    if (hit) return { passed: true, message: say('pass', { command: hit.command }) };
    // Feedback names the command, never the regular expression behind it.
    const command = readablePattern(check.pattern);
    const exit = say('exit', { code: wanted });
    return { passed: false, message: command ? say('missing', { command, exit }) : say('missingAny', { exit }) };
  },
});
