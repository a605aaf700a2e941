import { join } from 'node:path';
import { expect } from 'vitest';
import type { Check } from '../../src/contracts/lab.ts';
import { runCheck } from '../../server/grading/run.ts';
import type { GradingContext } from '../../server/grading/types.ts';
import { localLearner } from './learner.ts';

/**
 * Runs a lab's check as a learner whose PATH starts with `bin` (where a test puts its recorded
 * `kubectl`), once as graded and once without its message to see the script's own explanation.
 * The verdict must not depend on the message.
 */
export async function runRecordedCheck(
  check: Check,
  home: string,
  bin: string,
): Promise<{ passed: boolean; output: string }> {
  const ctx = {
    home,
    learner: localLearner(home, join(home, 'kubeconfig'), { path: `${bin}:/usr/bin:/bin` }),
    signal: new AbortController().signal,
    locale: 'en',
  } as unknown as GradingContext;
  const graded = await runCheck(check, ctx);
  const { message: _m, ...bare } = check;
  const raw = await runCheck(bare as Check, ctx);
  expect(raw.passed).toBe(graded.passed);
  return { passed: graded.passed, output: raw.message };
}
