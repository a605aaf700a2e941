import { setTimeout as sleep } from 'node:timers/promises';
import type { Check } from '../../src/contracts/lab.ts';
import type { CheckResult } from '../../src/contracts/protocol.ts';
import { fill } from '../../src/contracts/translator.ts';
import { HomeFileRefused } from './home-files.ts';
import { message } from './messages.ts';
import type { CheckPlugin, Outcome } from './plugin.ts';
import { pluginFor } from './registry.ts';
import type { GradingContext } from './types.ts';

/** How long checks of converging state keep retrying when neither the check nor the context says. */
export const defaultPollSeconds = 5;
/** The kill switch for checks that run once. */
const defaultTimeoutSeconds = 20;
/** Extra time a polled check's last attempt gets before the kill switch. */
const lastAttemptGraceSeconds = 5;

/**
 * Runs attempts until one passes or the deadline comes (an attempt that throws counts as a
 * failure and is retried); the last attempt explains a failure.
 */
async function eventually(attempt: () => Promise<Outcome>, seconds: number, signal: AbortSignal): Promise<Outcome> {
  const deadline = Date.now() + seconds * 1000;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    let outcome: Outcome | undefined;
    let error: unknown;
    try {
      outcome = await attempt();
      if (outcome.passed) return outcome;
    } catch (e) {
      error = e;
    }
    const left = deadline - Date.now();
    if (left <= 0 || signal.aborted) {
      if (outcome) return outcome;
      throw error;
    }
    await sleep(Math.min(delay, left), undefined, { signal }).catch(() => undefined);
  }
}

/** Runs one check with its timeout; errors become a failed outcome with an explanation. */
export async function runCheck(check: Check, ctx: GradingContext): Promise<CheckResult> {
  const plugin = pluginFor(check.kind) as CheckPlugin | undefined;
  if (!plugin)
    return { kind: check.kind, passed: false, message: message(ctx.locale, 'check.unknownKind', { kind: check.kind }) };
  const pollSeconds = plugin.eventually ? (check.timeoutSeconds ?? ctx.pollSeconds ?? defaultPollSeconds) : 0;
  const seconds = plugin.eventually
    ? pollSeconds + lastAttemptGraceSeconds
    : (check.timeoutSeconds ?? defaultTimeoutSeconds);
  const controller = new AbortController();
  const abort = () => controller.abort();
  ctx.signal.addEventListener('abort', abort);
  const checkCtx = { ...ctx, signal: controller.signal };
  const texts = plugin.messages[ctx.locale] as Record<string, string>;
  const say = (key: string, params?: Record<string, string | number>) => fill(texts[key] ?? key, params);
  const attempt = () => plugin.run(check as never, checkCtx, say);
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = pollSeconds > 0 ? eventually(attempt, pollSeconds, controller.signal) : attempt();
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
    if (error instanceof HomeFileRefused)
      return {
        kind: check.kind,
        passed: false,
        message: message(ctx.locale, error.key, { path: error.path, limit: '32 MiB' }),
      };
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

/**
 * Runs an exercise's checks in order, stopping at the first failure unless a check is
 * independent. A result saying exactly what an earlier one said (several asserts on one
 * object all answer "Deployment shop/web is as expected.") is shown once.
 */
export async function runChecks(
  checks: Check[],
  ctx: GradingContext,
): Promise<{ passed: boolean; results: CheckResult[] }> {
  const results: CheckResult[] = [];
  const said = new Set<string>();
  let failed = false;
  let ran = 0;
  for (const check of checks) {
    if (failed && !check.independent) continue;
    const outcome = await runCheck(check, ctx);
    ran++;
    if (!outcome.passed) failed = true;
    const key = JSON.stringify([outcome.passed, outcome.message, outcome.diff ?? '']);
    if (said.has(key)) continue;
    said.add(key);
    results.push(outcome);
  }
  return { passed: !failed && ran === checks.length, results };
}
