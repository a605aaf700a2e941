import { CelEvaluationError, type CelEnvironment } from '../../cel/environment.ts';
import { runtimeCostBudget } from '../../cel/cost.ts';
import { celText } from '../../cel/values.ts';

type Obj = Record<string, unknown>;

/** One validation that did not pass: failed (false) or errored. */
export interface ValidationOutcome {
  index: number;
  kind: 'fail' | 'error';
  message: string;
  /** metav1.StatusReason from validation.reason (Invalid when unset). */
  reason: string;
}

export interface EvaluationResult {
  outcomes: ValidationOutcome[];
  auditAnnotations: Record<string, string>;
  /** Errors of matchConditions or auditAnnotations, subject to failurePolicy. */
  errors: string[];
  matched: boolean;
}

export class BudgetExceededError extends Error {
  constructor() {
    super('validation failed due to running out of cost budget, no further validation rules will be run');
  }
}

/** Tracks the per-evaluation cost budget across the expressions of one policy. */
class Budget {
  remaining = runtimeCostBudget;
  run(env: CelEnvironment, expression: string, activation: Record<string, unknown>): unknown {
    const compiled = env.compile(expression);
    if (!compiled.program) throw new CelEvaluationError(`compilation error: ${compiled.error}`);
    if (this.remaining <= 0) throw new BudgetExceededError();
    const { value, cost } = compiled.program.run(activation, Math.min(this.remaining, 1_000_000));
    this.remaining -= cost;
    return value;
  }
}

/** `variables`: each variable evaluated on first use, then remembered (composition as upstream does). */
function lazyVariables(env: CelEnvironment, budget: Budget, specs: Obj[], activation: Record<string, unknown>): Obj {
  const variables: Obj = {};
  for (const spec of specs) {
    const name = String(spec.name);
    let done = false;
    let value: unknown;
    let failure: unknown;
    Object.defineProperty(variables, name, {
      enumerable: true,
      get() {
        if (!done) {
          done = true;
          try {
            value = budget.run(env, String(spec.expression), activation);
          } catch (error) {
            failure = error;
          }
        }
        if (failure) throw failure;
        return value;
      },
    });
  }
  return variables;
}

export interface PolicyExpressions {
  matchConditions?: Obj[];
  variables?: Obj[];
  validations?: Obj[];
  auditAnnotations?: Obj[];
  /** Prefix of audit annotation keys (the policy name). */
  annotationPrefix: string;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The message of a failed validation: messageExpression, else message, else the expression. */
function failureMessage(
  env: CelEnvironment,
  budget: Budget,
  validation: Obj,
  activation: Record<string, unknown>,
): string {
  if (typeof validation.messageExpression === 'string') {
    try {
      const value = budget.run(env, validation.messageExpression, activation);
      if (typeof value === 'string' && value.trim() !== '' && !value.includes('\n')) return value.trim();
    } catch {
      /* falls back as upstream does */
    }
  }
  if (typeof validation.message === 'string' && validation.message.trim()) return validation.message.trim();
  return `failed expression: ${String(validation.expression).trim()}`;
}

/**
 * Runs matchConditions, then validations and auditAnnotations of one policy for one
 * (binding, param) pair, as k8s.io/apiserver's validating policy validator does.
 */
export function evaluatePolicyExpressions(
  env: CelEnvironment,
  policy: PolicyExpressions,
  base: Record<string, unknown>,
): EvaluationResult {
  const budget = new Budget();
  const activation: Record<string, unknown> = { ...base };
  const result: EvaluationResult = { outcomes: [], auditAnnotations: {}, errors: [], matched: true };
  for (const condition of policy.matchConditions ?? []) {
    try {
      const value = budget.run(env, String(condition.expression), activation);
      if (value !== true) {
        if (value === false) {
          result.matched = false;
          return result;
        }
        throw new CelEvaluationError(`matchCondition '${String(condition.name)}' must evaluate to bool`);
      }
    } catch (error) {
      result.errors.push(`failed to evaluate matchCondition '${String(condition.name)}': ${errorText(error)}`);
      return result;
    }
  }
  activation.variables = lazyVariables(env, budget, policy.variables ?? [], activation);
  for (const [index, validation] of (policy.validations ?? []).entries()) {
    const expression = String(validation.expression);
    const reason = String(validation.reason ?? 'Invalid');
    try {
      const value = budget.run(env, expression, activation);
      if (value === true) continue;
      result.outcomes.push({
        index,
        kind: 'fail',
        reason,
        message: failureMessage(env, budget, validation, activation),
      });
    } catch (error) {
      if (error instanceof BudgetExceededError) {
        result.outcomes.push({ index, kind: 'error', reason, message: error.message });
        break;
      }
      result.outcomes.push({
        index,
        kind: 'error',
        reason,
        message: `expression '${expression}' resulted in error: ${errorText(error)}`,
      });
    }
  }
  for (const annotation of policy.auditAnnotations ?? []) {
    try {
      const value = budget.run(env, String(annotation.valueExpression), activation);
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string')
        throw new CelEvaluationError(`valueExpression must evaluate to a string, got ${celText(value)}`);
      result.auditAnnotations[`${policy.annotationPrefix}/${String(annotation.key)}`] = value;
    } catch (error) {
      result.errors.push(`expression '${String(annotation.valueExpression)}' resulted in error: ${errorText(error)}`);
    }
  }
  return result;
}
