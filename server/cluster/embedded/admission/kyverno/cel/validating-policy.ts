import type { AdmissionAttributes } from '../../../registry/admission.ts';
import { CelEnvironment, type CelProgram } from '../../../cel/environment.ts';
import { runtimeCostBudget } from '../../../cel/cost.ts';
import { toCel } from '../../../cel/values.ts';
import { matchResourcesMatch } from '../../validatingadmissionpolicy/match.ts';
import type { KubeObject } from '../../../storage/types.ts';
import { autogenConfigs } from './autogen.ts';
import { AuthzResponse, registerAuthzLibraries } from './authz-libraries.ts';
import { registerKyvernoLibraries, ResourceContext, type ResourceLookup } from './libraries.ts';

type Obj = Record<string, unknown>;

/** Variables of Kyverno's ValidatingPolicy environment. */
const variables = ['object', 'oldObject', 'request', 'namespaceObject', 'variables', 'resource', 'exceptions'];
let environment: CelEnvironment | undefined;

export function kyvernoEnvironment(): CelEnvironment {
  environment ??= new CelEnvironment(variables, [registerKyvernoLibraries, registerAuthzLibraries]);
  return environment;
}

export type VpolStatus = 'pass' | 'fail' | 'error' | 'skip';

export interface VpolResult {
  policy: KubeObject;
  status: VpolStatus;
  message: string;
  actions: string[];
  /** Names ("ns/name") of the PolicyExceptions that apply. */
  exceptions: string[];
  auditAnnotations: Record<string, string>;
}

/** Compile problems of a ValidatingPolicy, as field errors ("spec.validations[0].expression: ..."). */
export function validatingPolicyProblems(policy: Obj): string[] {
  const spec = (policy.spec ?? {}) as Obj;
  const env = kyvernoEnvironment();
  const problems: string[] = [];
  const check = (expression: unknown, field: string) => {
    if (typeof expression !== 'string' || !expression.trim()) {
      problems.push(`${field}: Required value`);
      return;
    }
    const result = env.compile(expression);
    if (result.error)
      problems.push(`${field}: Invalid value: ${JSON.stringify(expression)}: compilation failed: ${result.error}`);
  };
  const mode = ((spec.evaluation as Obj | undefined)?.mode as string | undefined) ?? 'Kubernetes';
  if (
    mode === 'Kubernetes' &&
    !((spec.matchConstraints as Obj | undefined)?.resourceRules as unknown[] | undefined)?.length
  )
    problems.push('spec.matchConstraints.resourceRules: Required value');
  for (const [i, v] of ((spec.variables as Obj[] | undefined) ?? []).entries())
    check(v.expression, `spec.variables[${i}].expression`);
  for (const [i, c] of ((spec.matchConditions as Obj[] | undefined) ?? []).entries())
    check(c.expression, `spec.matchConditions[${i}].expression`);
  for (const [i, v] of ((spec.validations as Obj[] | undefined) ?? []).entries()) {
    check(v.expression, `spec.validations[${i}].expression`);
    if (v.messageExpression !== undefined) check(v.messageExpression, `spec.validations[${i}].messageExpression`);
  }
  for (const [i, a] of ((spec.auditAnnotations as Obj[] | undefined) ?? []).entries())
    check(a.valueExpression, `spec.auditAnnotations[${i}].valueExpression`);
  const actions = (spec.validationActions as string[] | undefined) ?? [];
  for (const [i, a] of actions.entries())
    if (!['Deny', 'Warn', 'Audit'].includes(a))
      problems.push(
        `spec.validationActions[${i}]: Unsupported value: "${a}": supported values: "Audit", "Deny", "Warn"`,
      );
  if (actions.includes('Deny') && actions.includes('Warn'))
    problems.push('spec.validationActions: Invalid value: must not contain both Deny and Warn');
  return problems;
}

/** validationActions, Deny when unset (Kyverno's ValidationActions()). */
export function validationActions(policy: KubeObject): string[] {
  const actions = ((policy.spec as Obj | undefined)?.validationActions as string[] | undefined) ?? [];
  return actions.length ? actions : ['Deny'];
}

export function admissionEnabled(policy: KubeObject): boolean {
  return ((policy.spec as Obj | undefined)?.evaluation as Obj | undefined)?.admission !== undefined
    ? (((policy.spec as Obj).evaluation as Obj).admission as Obj).enabled !== false
    : true;
}

function run(program: CelProgram, activation: Record<string, unknown>, budget: { left: number }): unknown {
  const { value, cost } = program.run(activation, Math.min(budget.left, 1_000_000));
  budget.left -= cost;
  return value;
}

function evaluate(
  env: CelEnvironment,
  expression: unknown,
  activation: Record<string, unknown>,
  budget: { left: number },
): unknown {
  const compiled = env.compile(String(expression));
  if (!compiled.program) throw new Error(compiled.error);
  return run(compiled.program, activation, budget);
}

function lazyVariables(
  env: CelEnvironment,
  specs: Obj[],
  activation: Record<string, unknown>,
  budget: { left: number },
): Obj {
  const out: Obj = {};
  for (const spec of specs) {
    let done = false;
    let value: unknown;
    let failure: unknown;
    Object.defineProperty(out, String(spec.name), {
      enumerable: true,
      get() {
        if (!done) {
          done = true;
          try {
            value = evaluate(env, spec.expression, activation, budget);
          } catch (error) {
            failure = error;
          }
        }
        if (failure) throw failure;
        return value;
      },
    });
  }
  return out;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface VpolRequest {
  attrs: AdmissionAttributes;
  namespace: KubeObject | undefined;
  /** object, oldObject, request, namespaceObject as CEL values. */
  base: Record<string, unknown>;
  resources: ResourceLookup;
  /** policies.kyverno.io PolicyExceptions that may apply. */
  exceptions: readonly KubeObject[];
}

/** The spec that applies to this request: the policy's own, or an autogen one for pod controllers. */
function applicableSpec(policy: KubeObject, req: VpolRequest): Obj | undefined {
  const spec = (policy.spec ?? {}) as Obj;
  if (matchResourcesMatch(spec.matchConstraints as Obj | undefined, req.attrs, req.namespace)) return spec;
  for (const config of Object.values(autogenConfigs(spec)))
    if (matchResourcesMatch(config.spec.matchConstraints as Obj, req.attrs, req.namespace)) return config.spec;
  return undefined;
}

/**
 * Evaluates a ValidatingPolicy or NamespacedValidatingPolicy the way Kyverno's vpol engine does:
 * exceptions, matchConditions, then validations until the first failure. undefined: not matched.
 */
export function evaluateValidatingPolicy(policy: KubeObject, req: VpolRequest): VpolResult | undefined {
  if (policy.kind === 'NamespacedValidatingPolicy' && policy.metadata.namespace !== req.attrs.namespace)
    return undefined;
  if (evaluationMode(policy) !== 'Kubernetes') return undefined;
  const spec = applicableSpec(policy, req);
  if (!spec) return undefined;
  return evaluateSpec(policy, spec, req.base, req.resources, req.exceptions);
}

export function evaluationMode(policy: KubeObject): string {
  return (
    (((policy.spec as Obj | undefined)?.evaluation as Obj | undefined)?.mode as string | undefined) ?? 'Kubernetes'
  );
}

/**
 * A policy in JSON, Envoy or HTTP mode on one payload (Kyverno's CLI and authz server): the payload
 * is `object`; in Envoy and HTTP modes the first validation returning a response decides.
 */
export function evaluatePayload(
  policy: KubeObject,
  payload: Obj,
  resources: ResourceLookup,
  exceptions: readonly KubeObject[] = [],
): VpolResult {
  const base = { object: toCel(payload), oldObject: null, request: null, namespaceObject: null };
  return evaluateSpec(policy, (policy.spec ?? {}) as Obj, base, resources, exceptions);
}

function evaluateSpec(
  policy: KubeObject,
  spec: Obj,
  baseActivation: Record<string, unknown>,
  resources: ResourceLookup,
  exceptionList: readonly KubeObject[],
): VpolResult {
  const req = { base: baseActivation, resources, exceptions: exceptionList };
  const authzMode = ['Envoy', 'HTTP'].includes(evaluationMode(policy));
  const env = kyvernoEnvironment();
  const budget = { left: runtimeCostBudget };
  const result: VpolResult = {
    policy,
    status: 'pass',
    message: 'success',
    actions: validationActions(policy),
    exceptions: [],
    auditAnnotations: {},
  };
  const activation: Record<string, unknown> = {
    ...req.base,
    resource: new ResourceContext(
      req.resources,
      policy.kind === 'NamespacedValidatingPolicy' ? policy.metadata.namespace : '',
    ),
    exceptions: { allowedImages: [], allowedValues: [] },
  };
  try {
    const matched: KubeObject[] = [];
    for (const ex of req.exceptions) {
      const exSpec = (ex.spec ?? {}) as Obj;
      const refs = (exSpec.policyRefs as Obj[] | undefined) ?? [];
      if (!refs.some((r) => r.name === policy.metadata.name && (!r.kind || r.kind === policy.kind))) continue;
      const conditions = (exSpec.matchConditions as Obj[] | undefined) ?? [];
      if (conditions.every((c) => evaluate(env, c.expression, activation, budget) === true)) matched.push(ex);
    }
    const full = matched.filter(
      (ex) => !((ex.spec as Obj).images as unknown[])?.length && !((ex.spec as Obj).allowedValues as unknown[])?.length,
    );
    if (full.length) {
      result.exceptions = matched.map(
        (ex) => `${ex.metadata.namespace ? `${ex.metadata.namespace}/` : ''}${ex.metadata.name}`,
      );
      const reportResult = String((full[0]!.spec as Obj).reportResult ?? 'skip');
      result.status = reportResult === 'pass' ? 'pass' : 'skip';
      result.message = `rule is ${result.status === 'pass' ? 'passed' : 'skipped'} due to policy exception: ${result.exceptions.join(', ')}`;
      return result;
    }
    activation.exceptions = {
      allowedImages: matched.flatMap((ex) => ((ex.spec as Obj).images as string[]) ?? []),
      allowedValues: matched.flatMap((ex) => ((ex.spec as Obj).allowedValues as string[]) ?? []),
    };
    for (const c of (spec.matchConditions as Obj[] | undefined) ?? []) {
      if (evaluate(env, c.expression, activation, budget) !== true) {
        result.status = 'skip';
        result.message = 'skip';
        return result;
      }
    }
  } catch (error) {
    result.status = 'error';
    result.message = `failed to load context: ${message(error)}`;
    return result;
  }
  activation.variables = lazyVariables(env, (spec.variables as Obj[] | undefined) ?? [], activation, budget);
  for (const [index, validation] of ((spec.validations as Obj[] | undefined) ?? []).entries()) {
    let outcome: unknown;
    try {
      outcome = evaluate(env, validation.expression, activation, budget);
    } catch (error) {
      result.status = 'error';
      result.message = `error: ${message(error)}`;
      return result;
    }
    if (authzMode) {
      if (outcome === null || outcome === undefined) continue;
      if (outcome instanceof AuthzResponse) {
        result.status = outcome.allowed ? 'pass' : 'fail';
        result.message = outcome.allowed ? 'success' : outcome.body || `denied with status ${outcome.code}`;
        return result;
      }
    }
    if (outcome === false) {
      let text = typeof validation.message === 'string' ? validation.message : '';
      if (validation.messageExpression !== undefined) {
        try {
          const value = evaluate(env, validation.messageExpression, activation, budget);
          text = typeof value === 'string' ? value : `failed to convert message expression to string: ${String(value)}`;
        } catch (error) {
          text = `failed to evaluate message expression: ${message(error)}`;
        }
      }
      result.status = 'fail';
      result.message = text || `CEL expression validation failed at index ${index}`;
      break;
    }
    if (outcome !== true) {
      result.status = 'error';
      result.message = `error: validation expression must evaluate to a bool`;
      return result;
    }
  }
  for (const a of (spec.auditAnnotations as Obj[] | undefined) ?? []) {
    try {
      const value = evaluate(env, a.valueExpression, activation, budget);
      if (typeof value === 'string' && value) result.auditAnnotations[String(a.key)] = value;
    } catch (error) {
      result.status = 'error';
      result.message = `error: failed to evaluate auditAnnotation '${String(a.key)}': ${message(error)}`;
    }
  }
  return result;
}
