/**
 * Runtime cost limits as Kubernetes sets them (k8s.io/apiserver/pkg/apis/cel/config.go):
 * one expression may cost at most PerCallLimit, one policy evaluation at most
 * RuntimeCELCostBudget. cel-js has no cost tracker, so the meter counts evaluation steps
 * (one unit per expression node evaluated, comprehension bodies once per element), which
 * is how cel-go's actual cost grows for the expressions policies are made of.
 */
export const perCallLimit = 1_000_000;
export const runtimeCostBudget = 10_000_000;

export class CostLimitError extends Error {
  constructor() {
    super('operation cancelled: actual cost limit exceeded');
  }
}

export interface CostMeter {
  cost: number;
  limit: number;
  exceeded: boolean;
}

let active: CostMeter | undefined;

/** Runs fn with a meter counting evaluation steps; the meter trips when the limit is passed. */
export function metered<T>(limit: number, fn: () => T): { value: T | undefined; cost: number; error?: unknown } {
  const meter: CostMeter = { cost: 0, limit, exceeded: false };
  const previous = active;
  active = meter;
  try {
    const value = fn();
    if (meter.exceeded) return { value: undefined, cost: meter.cost, error: new CostLimitError() };
    return { value, cost: meter.cost };
  } catch (error) {
    return { value: undefined, cost: meter.cost, error: meter.exceeded ? new CostLimitError() : error };
  } finally {
    active = previous;
  }
}

let patched = false;

/** Wraps cel-js's Evaluator.run (reached through a function's `this`) to count steps. */
export function installMeter(evaluatorPrototype: { run: (ast: unknown, ctx: unknown) => unknown }): void {
  if (patched) return;
  patched = true;
  const run = evaluatorPrototype.run;
  evaluatorPrototype.run = function meteredRun(this: unknown, ast: unknown, ctx: unknown) {
    const meter = active;
    if (meter && ++meter.cost > meter.limit) {
      meter.exceeded = true;
      throw new CostLimitError();
    }
    return run.call(this, ast, ctx);
  };
}
