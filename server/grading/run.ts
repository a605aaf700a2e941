import type { Check } from '../../src/contracts/lab.ts';
import { runAbsent, runAssert } from './checks/assert.ts';
import { runAdmission } from './checks/admission.ts';
import { runCanI } from './checks/can-i.ts';
import { runCommand } from './checks/command.ts';
import { runFile } from './checks/file.ts';
import { runScript } from './checks/script.ts';
import { message } from './messages.ts';
import type { CheckResult } from '../../src/contracts/protocol.ts';
import type { CheckRunner, GradingContext } from './types.ts';

const runners: { [K in Check['kind']]: CheckRunner<Extract<Check, { kind: K }>> } = {
  assert: runAssert,
  absent: runAbsent,
  admission: runAdmission,
  'can-i': runCanI,
  file: runFile,
  command: runCommand,
  script: runScript,
};

/** Runs one check with its timeout; errors become a failed outcome with an explanation. */
export async function runCheck(check: Check, ctx: GradingContext): Promise<CheckResult> {
  const seconds = check.timeoutSeconds ?? 20;
  const controller = new AbortController();
  const abort = () => controller.abort();
  ctx.signal.addEventListener('abort', abort);
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = (runners[check.kind] as CheckRunner)(check, { ...ctx, signal: controller.signal });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error('timeout'));
      }, seconds * 1000);
    });
    const outcome = await Promise.race([run, timeout]);
    if (check.message && !outcome.passed) outcome.message = check.message[ctx.locale];
    return { kind: check.kind, ...outcome };
  } catch (error) {
    const text =
      error instanceof Error && error.message === 'timeout'
        ? message(ctx.locale, 'check.timeout', { seconds })
        : message(ctx.locale, 'check.error', { error: error instanceof Error ? error.message : String(error) });
    return { kind: check.kind, passed: false, message: text };
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', abort);
  }
}

/** Runs an exercise's checks in order, stopping at the first failure unless a check is independent. */
export async function runChecks(
  checks: Check[],
  ctx: GradingContext,
): Promise<{ passed: boolean; results: CheckResult[] }> {
  const results: CheckResult[] = [];
  let failed = false;
  for (const check of checks) {
    if (failed && !check.independent) continue;
    const outcome = await runCheck(check, ctx);
    results.push(outcome);
    if (!outcome.passed) failed = true;
  }
  return { passed: !failed && results.length === checks.length, results };
}
