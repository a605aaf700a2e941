import { withAutogenRules } from './autogen.ts';
import {
  evaluateCondition,
  normalizeConditions,
  UnknownOperatorError,
  type Condition,
  type ConditionBlock,
} from './conditions.ts';
import { excluded, matchBlockMatches, type MatchRequest } from './match.ts';
import { matchPattern } from './pattern.ts';
import { parseImage, substitute, VariableError } from './variables.ts';

type Obj = Record<string, unknown>;

export type RuleStatus = 'pass' | 'fail' | 'skip' | 'error' | 'warn';

export interface RuleResult {
  policy: string;
  rule: string;
  status: RuleStatus;
  message: string;
  /** Enforce or Audit, resolved per rule. */
  action: 'Enforce' | 'Audit';
}

export interface EngineRequest extends MatchRequest {
  object: Obj;
  oldObject?: Obj | null;
}

/** The JMESPath context Kyverno builds for a request. */
export function requestContext(req: EngineRequest): Obj {
  const object = req.operation === 'DELETE' ? (req.oldObject ?? req.object) : req.object;
  const spec = ((object?.spec as Obj | undefined) ?? {}) as Obj;
  const images: Obj = {};
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = (spec[key] as Obj[] | undefined) ?? [];
    if (list.length)
      images[key] = Object.fromEntries(list.map((c) => [String(c.name), parseImage(String(c.image ?? ''))]));
  }
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(req.userInfo.username);
  return {
    request: {
      operation: req.operation,
      object,
      oldObject: req.oldObject ?? null,
      // Like Kyverno's AdmissionUserInfo, empty fields are absent (null in JMESPath).
      userInfo: {
        ...(req.userInfo.username ? { username: req.userInfo.username } : {}),
        ...(req.userInfo.groups.length ? { groups: req.userInfo.groups } : {}),
      },
      roles: req.roles,
      clusterRoles: req.clusterRoles,
      namespace: req.namespace,
      name: req.name,
      kind: { group: req.group, version: req.version, kind: req.kind },
    },
    serviceAccountName: sa?.[2] ?? '',
    serviceAccountNamespace: sa?.[1] ?? '',
    images,
  };
}

function failureAction(policy: Obj, rule: Obj): 'Enforce' | 'Audit' {
  const ruleAction = (rule.validate as Obj | undefined)?.failureAction;
  const value = String(ruleAction ?? (policy.spec as Obj | undefined)?.validationFailureAction ?? 'Audit');
  return value.toLowerCase() === 'enforce' ? 'Enforce' : 'Audit';
}

function conditionsHold(block: ConditionBlock, context: Obj): boolean {
  const check = (c: Condition) =>
    evaluateCondition({ ...c, key: substitute(c.key, context), value: substitute(c.value, context) });
  const any = block.any ?? [];
  const all = block.all ?? [];
  const anyOk = any.length === 0 || any.some(check);
  const allOk = all.every(check);
  return anyOk && allOk;
}

function withPeriod(message: string): string {
  return message.endsWith('.') ? message : `${message}.`;
}

/** Runs the validate part of one rule on an already-matched request. */
function validateRule(
  policyName: string,
  rule: Obj,
  req: EngineRequest,
  context: Obj,
  action: RuleResult['action'],
): RuleResult {
  const name = String(rule.name);
  const result = (status: RuleStatus, message: string): RuleResult => ({
    policy: policyName,
    rule: name,
    status,
    message,
    action,
  });
  const validate = (rule.validate ?? {}) as Obj;
  if (rule.preconditions !== undefined) {
    if (!conditionsHold(normalizeConditions(rule.preconditions), context))
      return result('skip', 'preconditions not met');
  }
  const message = validate.message !== undefined ? String(substitute(validate.message, context) ?? '') : '';
  if (validate.deny !== undefined) {
    const conditions = normalizeConditions((validate.deny as Obj).conditions);
    if (conditionsHold(conditions, context)) return result('fail', message);
    return result('pass', `validation rule '${name}' passed.`);
  }
  if (validate.pattern !== undefined || validate.anyPattern !== undefined) {
    if (req.operation === 'DELETE') return result('skip', 'pattern rules do not apply to DELETE requests');
    const resource = req.object;
    const prefix = message ? `validation error: ${withPeriod(message)} ` : 'validation error: ';
    if (validate.pattern !== undefined) {
      const outcome = matchPattern(resource, substitute(validate.pattern, context));
      if (outcome.status === 'pass') return result('pass', `validation rule '${name}' passed.`);
      if (outcome.status === 'skip') return result('skip', `rule skipped: ${outcome.reason}`);
      if (outcome.status === 'error') return result('error', outcome.message);
      return result('fail', `${prefix}rule ${name} failed at path ${outcome.path}`);
    }
    const patterns = (validate.anyPattern as unknown[]) ?? [];
    const failures: string[] = [];
    let skipped = 0;
    for (const [i, p] of patterns.entries()) {
      const outcome = matchPattern(resource, substitute(p, context));
      if (outcome.status === 'pass') return result('pass', `validation rule '${name}' anyPattern[${i}] passed.`);
      if (outcome.status === 'skip') skipped++;
      else if (outcome.status === 'fail') failures.push(`rule ${name}[${i}] failed at path ${outcome.path}`);
      else return result('error', outcome.message);
    }
    if (skipped === patterns.length) return result('skip', 'rule skipped: all patterns skipped');
    return result('fail', `${prefix}${failures.join(' ')}`);
  }
  const unsupported = ['podSecurity', 'cel', 'manifests', 'foreach', 'assert'].find((k) => validate[k] !== undefined);
  return result(
    'error',
    `validate.${unsupported ?? 'rule'} is not supported by the embedded cluster; use the kind backend`,
  );
}

/** Rules with their autogen variants, computed once per policy version. */
const ruleCache = new Map<string, Obj[]>();

function rulesOf(policy: Obj): Obj[] {
  const meta = (policy.metadata ?? {}) as Obj;
  if (!meta.uid || !meta.resourceVersion) return withAutogenRules(policy);
  const key = `${String(meta.uid)}@${String(meta.resourceVersion)}`;
  let rules = ruleCache.get(key);
  if (!rules) {
    if (ruleCache.size > 1000) ruleCache.clear();
    rules = withAutogenRules(policy);
    ruleCache.set(key, rules);
  }
  return rules;
}

/** Evaluates every validate rule (with autogen rules) of a policy on a request. */
export function evaluatePolicy(policy: Obj, req: EngineRequest, sharedContext?: Obj): RuleResult[] {
  const meta = (policy.metadata ?? {}) as Obj;
  const policyName = String(meta.name ?? '');
  // A namespaced Policy only applies in its own namespace.
  if (policy.kind === 'Policy' && meta.namespace !== req.namespace) return [];
  let context = sharedContext;
  const results: RuleResult[] = [];
  for (const rule of rulesOf(policy)) {
    if (!rule.validate) continue;
    if (!matchBlockMatches(rule.match as Obj | undefined, req)) continue;
    if (excluded(rule.exclude as Obj | undefined, req)) continue;
    const action = failureAction(policy, rule);
    context ??= requestContext(req);
    try {
      results.push(validateRule(policyName, rule, req, context, action));
    } catch (error) {
      const message =
        error instanceof VariableError || error instanceof UnknownOperatorError
          ? error.message
          : `rule failed: ${String(error)}`;
      results.push({ policy: policyName, rule: String(rule.name), status: 'error', message, action });
    }
  }
  return results;
}
