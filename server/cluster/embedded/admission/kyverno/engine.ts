import { withAutogenRules } from './autogen.ts';
import {
  evaluateCondition,
  normalizeConditions,
  UnknownOperatorError,
  type Condition,
  type ConditionBlock,
} from './conditions.ts';
import { ContextError, loadContext, type ContextLoaders } from './context.ts';
import { excluded, matchBlockMatches, type MatchRequest } from './match.ts';
import { mutateResource } from './mutate.ts';
import { matchPattern } from './pattern.ts';
import { validatePodSecurity } from './pod-security.ts';
import { evaluateExpression, parseImage, substitute, VariableError } from './variables.ts';
import { wildcardMatch } from './values.ts';

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

/** What rules may read besides the request: context loaders and kyverno.io PolicyExceptions. */
export interface EngineOptions {
  loaders?: ContextLoaders;
  exceptions?: readonly Obj[];
  /** Variables to set in the context ("request.operation": "CREATE"), as the CLI's values file does. */
  values?: Record<string, unknown>;
}

function withValues(context: Obj, values: Record<string, unknown> | undefined): Obj {
  if (!values) return context;
  const out = structuredClone(context);
  for (const [path, value] of Object.entries(values)) {
    const keys = path.split('.');
    let node = out;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Obj;
    node[keys[keys.length - 1]!] = value;
  }
  return out;
}

/** PolicyExceptions (kyverno.io/v2) that name this policy and rule and match the request. */
export function matchingExceptions(
  policyKey: string,
  rule: string,
  req: EngineRequest,
  exceptions: readonly Obj[] = [],
  context?: Obj,
): Obj[] {
  return exceptions.filter((ex) => {
    const spec = (ex.spec ?? {}) as Obj;
    const named = ((spec.exceptions as Obj[] | undefined) ?? []).some(
      (e) =>
        wildcardMatch(String(e.policyName ?? ''), policyKey) &&
        ((e.ruleNames as string[] | undefined) ?? []).some((r) => wildcardMatch(r, rule)),
    );
    if (!named || !matchBlockMatches(spec.match as Obj | undefined, req)) return false;
    if (spec.conditions === undefined) return true;
    return conditionsHold(normalizeConditions(spec.conditions), context ?? requestContext(req));
  });
}

function exceptionKey(ex: Obj): string {
  const meta = (ex.metadata ?? {}) as Obj;
  return meta.namespace ? `${String(meta.namespace)}/${String(meta.name)}` : String(meta.name);
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

function failureAction(
  policy: Obj,
  rule: Obj,
  namespace = '',
  namespaceLabels: Record<string, string> = {},
): 'Enforce' | 'Audit' {
  const validate = (rule.validate as Obj | undefined) ?? {};
  // failureActionOverrides (rule) and validationFailureActionOverrides (policy): per-namespace actions.
  const overrides = [
    ...((validate.failureActionOverrides as Obj[] | undefined) ?? []),
    ...(((policy.spec as Obj | undefined)?.validationFailureActionOverrides as Obj[] | undefined) ?? []),
  ];
  for (const o of overrides) {
    const namespaces = (o.namespaces as string[] | undefined) ?? [];
    const byName = namespaces.length === 0 || namespaces.some((n) => wildcardMatch(n, namespace));
    const selector = o.namespaceSelector as Obj | undefined;
    const byLabels =
      !selector ||
      Object.entries((selector.matchLabels as Record<string, string> | undefined) ?? {}).every(
        ([k, v]) => namespaceLabels[k] === v,
      );
    if (namespace && byName && byLabels && (namespaces.length > 0 || selector))
      return String(o.action).toLowerCase() === 'enforce' ? 'Enforce' : 'Audit';
  }
  const ruleAction = validate.failureAction;
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
  options: EngineOptions = {},
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
  if (rule.context !== undefined) {
    context = { ...context };
    try {
      loadContext(rule.context, context, options.loaders);
    } catch (error) {
      return result('error', `failed to load context: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (rule.preconditions !== undefined) {
    if (!conditionsHold(normalizeConditions(rule.preconditions), context))
      return result('skip', 'preconditions not met');
  }
  if (validate.podSecurity !== undefined) {
    if (req.operation === 'DELETE') return result('skip', 'pod security rules do not apply to DELETE requests');
    const outcome = validatePodSecurity(name, validate.podSecurity as Obj, req.object);
    return result(outcome.status, outcome.message);
  }
  if (Array.isArray(validate.foreach))
    return validateForeach(name, validate.foreach as Obj[], req, context, action, options, policyName);
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

/** validate.foreach: every element of each list is checked; the first failure fails the rule. */
function validateForeach(
  name: string,
  entries: Obj[],
  req: EngineRequest,
  context: Obj,
  action: RuleResult['action'],
  options: EngineOptions,
  policyName: string,
): RuleResult {
  let applied = 0;
  for (const entry of entries) {
    let elements: unknown;
    try {
      elements = evaluateExpression(String(substitute(entry.list, context)), context);
    } catch {
      continue;
    }
    for (const [index, element] of (Array.isArray(elements)
      ? elements
      : elements == null
        ? []
        : [elements]
    ).entries()) {
      if (element === null || element === undefined) continue;
      const scope: Obj = { ...context, element, elementIndex: index };
      const inner: Obj = {
        name,
        context: entry.context,
        preconditions: entry.preconditions,
        validate: {
          message: (entry as Obj).message,
          ...(entry.pattern !== undefined ? { pattern: entry.pattern } : {}),
          ...(entry.anyPattern !== undefined ? { anyPattern: entry.anyPattern } : {}),
          ...(entry.deny !== undefined ? { deny: entry.deny } : {}),
          ...(entry.foreach !== undefined ? { foreach: entry.foreach } : {}),
        },
      };
      // Patterns check the element itself (elementScope defaults to true for patterns).
      const scoped = entry.elementScope !== false && (entry.pattern !== undefined || entry.anyPattern !== undefined);
      const elementReq = scoped ? { ...req, object: element as Obj } : req;
      const r = validateRule(policyName, inner, elementReq, scope, action, options);
      if (r.status === 'skip') continue;
      if (r.status !== 'pass') return { ...r, message: `validation failure: ${r.message}` };
      applied++;
    }
  }
  if (applied === 0) return { policy: policyName, rule: name, status: 'skip', message: 'rule skipped', action };
  return { policy: policyName, rule: name, status: 'pass', message: 'rule passed', action };
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
export function evaluatePolicy(
  policy: Obj,
  req: EngineRequest,
  sharedContext?: Obj,
  options: EngineOptions = {},
): RuleResult[] {
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
    const action = failureAction(policy, rule, req.namespace, req.namespaceLabels);
    context ??= withValues(requestContext(req), options.values);
    const policyKey = policy.kind === 'Policy' ? `${String(meta.namespace)}/${policyName}` : policyName;
    const excepted = matchingExceptions(policyKey, String(rule.name), req, options.exceptions, context);
    const pssExclusions = excepted.flatMap((ex) => ((ex.spec as Obj).podSecurity as Obj[] | undefined) ?? []);
    if (excepted.length && (pssExclusions.length === 0 || !(rule.validate as Obj).podSecurity)) {
      results.push({
        policy: policyName,
        rule: String(rule.name),
        status: 'skip',
        message: `rule is skipped due to policy exceptions${excepted.map(exceptionKey).join(', ')}`,
        action,
      });
      continue;
    }
    const effective =
      pssExclusions.length > 0
        ? {
            ...rule,
            validate: {
              ...(rule.validate as Obj),
              podSecurity: {
                ...((rule.validate as Obj).podSecurity as Obj),
                exclude: [
                  ...((((rule.validate as Obj).podSecurity as Obj).exclude as Obj[] | undefined) ?? []),
                  ...pssExclusions,
                ],
              },
            },
          }
        : rule;
    try {
      const outcome = validateRule(policyName, effective, req, context, action, options);
      // Pod Security exclusions from exceptions: a pass they caused is reported as a skip.
      if (pssExclusions.length && outcome.status === 'pass') {
        const without = validateRule(policyName, rule, req, context, action, options);
        if (without.status === 'fail') {
          results.push({
            ...outcome,
            status: 'skip',
            message: `rule is skipped due to policy exceptions ${excepted.map(exceptionKey).join(', ')}`,
          });
          continue;
        }
      }
      results.push(outcome);
    } catch (error) {
      const message =
        error instanceof VariableError || error instanceof UnknownOperatorError || error instanceof ContextError
          ? error.message
          : `rule failed: ${String(error)}`;
      results.push({ policy: policyName, rule: String(rule.name), status: 'error', message, action });
    }
  }
  return results;
}

/**
 * Runs the mutate rules of a policy (those without targets) on the request's object, in
 * order, each seeing the previous rules' changes. Returns the rule results and the object.
 */
export function mutatePolicy(
  policy: Obj,
  req: EngineRequest,
  options: EngineOptions = {},
): { results: RuleResult[]; patched: Obj } {
  const meta = (policy.metadata ?? {}) as Obj;
  const policyName = String(meta.name ?? '');
  let patched = req.object;
  const results: RuleResult[] = [];
  if (policy.kind === 'Policy' && meta.namespace !== req.namespace) return { results, patched };
  for (const rule of rulesOf(policy)) {
    const mutate = rule.mutate as Obj | undefined;
    if (!mutate || mutate.targets !== undefined) continue;
    const current = { ...req, object: patched };
    if (!matchBlockMatches(rule.match as Obj | undefined, current)) continue;
    if (excluded(rule.exclude as Obj | undefined, current)) continue;
    const name = String(rule.name);
    const result = (status: RuleStatus, message: string): RuleResult => ({
      policy: policyName,
      rule: name,
      status,
      message,
      action: 'Audit',
    });
    const context = withValues(requestContext(current), options.values);
    const policyKey = policy.kind === 'Policy' ? `${String(meta.namespace)}/${policyName}` : policyName;
    const excepted = matchingExceptions(policyKey, name, current, options.exceptions, context);
    if (excepted.length) {
      results.push(result('skip', `rule is skipped due to policy exceptions${excepted.map(exceptionKey).join(', ')}`));
      continue;
    }
    try {
      loadContext(rule.context, context, options.loaders);
      if (rule.preconditions !== undefined && !conditionsHold(normalizeConditions(rule.preconditions), context)) {
        results.push(result('skip', 'preconditions not met'));
        continue;
      }
    } catch (error) {
      results.push(
        result('error', `failed to load context: ${error instanceof Error ? error.message : String(error)}`),
      );
      continue;
    }
    const outcome = mutateResource(mutate, patched, context, options.loaders);
    results.push(result(outcome.status, outcome.message));
    if (outcome.status === 'pass') patched = outcome.patched;
  }
  return { results, patched };
}

/** Mutate rules with targets (mutate existing): the patched targets for one trigger. */
export function mutateTargets(
  policy: Obj,
  rule: Obj,
  req: EngineRequest,
  targets: Obj[],
  options: EngineOptions = {},
): { result: RuleResult; patched: Obj[] } {
  const policyName = String(((policy.metadata ?? {}) as Obj).name ?? '');
  const name = String(rule.name);
  const mutate = (rule.mutate ?? {}) as Obj;
  const context = requestContext(req);
  const patched: Obj[] = [];
  let status: RuleStatus = 'skip';
  let message = 'no patches applied';
  try {
    loadContext(rule.context, context, options.loaders);
    if (rule.preconditions !== undefined && !conditionsHold(normalizeConditions(rule.preconditions), context))
      return {
        result: { policy: policyName, rule: name, status: 'skip', message: 'preconditions not met', action: 'Audit' },
        patched,
      };
    for (const target of targets) {
      const scope = { ...context, target };
      const outcome = mutateResource(mutate, target, scope, options.loaders);
      if (outcome.status === 'error')
        return {
          result: { policy: policyName, rule: name, status: 'error', message: outcome.message, action: 'Audit' },
          patched,
        };
      if (outcome.status === 'pass') {
        patched.push(outcome.patched);
        status = 'pass';
        message = outcome.message;
      }
    }
  } catch (error) {
    status = 'error';
    message = `failed to load context: ${error instanceof Error ? error.message : String(error)}`;
  }
  return { result: { policy: policyName, rule: name, status, message, action: 'Audit' }, patched };
}
