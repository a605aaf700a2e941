import { operators } from './conditions.ts';
import { unsupportedContextTypes } from './context.ts';
import { controlNames } from './pod-security.ts';
import { filtersOf } from './match.ts';
import { validatePatternSyntax } from './pattern.ts';
import { variablesIn } from './variables.ts';

type Obj = Record<string, unknown>;

/** Variables a background scan can resolve (no admission request there). */
function backgroundSafe(variable: string): boolean {
  return !/^(request\.(userInfo|roles|clusterRoles)|serviceAccountName|serviceAccountNamespace)\b/.test(
    variable.replace(/^\s+/, ''),
  );
}

function conditionsOf(value: unknown): Obj[] {
  if (Array.isArray(value)) return value as Obj[];
  if (value && typeof value === 'object')
    return [...(((value as Obj).any as Obj[]) ?? []), ...(((value as Obj).all as Obj[]) ?? [])];
  return [];
}

/** What Kyverno's policy webhook rejects at create time; undefined when the policy is valid. */
export function validatePolicy(policy: Obj): string | undefined {
  const spec = (policy.spec ?? {}) as Obj;
  const rules = (spec.rules as Obj[] | undefined) ?? [];
  if (rules.length === 0) return 'a policy should have at least one rule';
  const background = spec.background !== false;
  const names = new Set<string>();
  for (const [i, rule] of rules.entries()) {
    const at = `spec.rules[${i}]`;
    const name = String(rule?.name ?? '');
    if (!name) return `${at}.name: Required value`;
    if (names.has(name)) return `Duplicate rule name: '${name}'`;
    names.add(name);
    if (!rule.match) return `${at}.match: Required value`;
    if (background) {
      for (const block of ['match', 'exclude'] as const) {
        for (const [j, filter] of filtersOf(rule[block] as Obj | undefined).entries()) {
          for (const key of ['subjects', 'roles', 'clusterRoles']) {
            if ((filter[key] as unknown[] | undefined)?.length) {
              return `only select variables are allowed in background mode. Set spec.background=false to disable background mode for this policy rule: invalid field "${key}" used at ${at}.${block}.any[${j}]`;
            }
          }
        }
      }
      const unsafe = variablesIn({ validate: rule.validate, preconditions: rule.preconditions }).find(
        (v) => !backgroundSafe(v),
      );
      if (unsafe) {
        return `only select variables are allowed in background mode. Set spec.background=false to disable background mode for this policy rule: invalid variable used: {{${unsafe}}}`;
      }
    }
    const unsupported = unsupportedFeature(rule, at);
    if (unsupported) return unsupported;
    const validate = rule.validate as Obj | undefined;
    if (validate) {
      const patternError =
        validatePatternSyntax(validate.pattern) ??
        ((validate.anyPattern as unknown[] | undefined) ?? []).map((p) => validatePatternSyntax(p)).find(Boolean);
      if (patternError) return `${at}.validate: ${patternError}`;
      const conditions = [
        ...conditionsOf((validate.deny as Obj | undefined)?.conditions),
        ...conditionsOf(rule.preconditions),
      ];
      const bad = conditions.find((c) => !operators.includes(String(c?.operator)));
      if (bad)
        return `${at}: entered value of \`operator\` is invalid: "${String(bad.operator)}"; supported operators: ${operators.join(', ')}`;
      const action = validate.failureAction;
      if (action !== undefined && !['Enforce', 'Audit', 'enforce', 'audit'].includes(String(action))) {
        return `${at}.validate.failureAction: Unsupported value: "${String(action)}": supported values: "Audit", "Enforce"`;
      }
    }
  }
  return undefined;
}

const kindNote = 'use the kind backend, where the real Kyverno runs';

/**
 * Features the embedded engine cannot run, refused when the policy is written (never accepted
 * as Ready and ignored): the message names the field and why.
 */
function unsupportedFeature(rule: Obj, at: string): string | undefined {
  const prefix = 'the embedded cluster cannot run';
  if (rule.verifyImages !== undefined)
    return `${at}.verifyImages: ${prefix} image verification (it needs a container registry); ${kindNote}`;
  const validate = rule.validate as Obj | undefined;
  if (validate?.manifests !== undefined)
    return `${at}.validate.manifests: ${prefix} manifest signature verification; ${kindNote}`;
  if (validate?.assert !== undefined) return `${at}.validate.assert: ${prefix} assertion trees; ${kindNote}`;
  if (validate?.cel !== undefined)
    return `${at}.validate.cel: ${prefix} validate.cel rules; write a ValidatingPolicy (policies.kyverno.io/v1) instead, or ${kindNote}`;
  const entries = [
    ...((rule.context as Obj[] | undefined) ?? []).map((c, i) => [c, `${at}.context[${i}]`] as const),
    ...(((rule.mutate as Obj | undefined)?.foreach as Obj[] | undefined) ?? []).flatMap((f, j) =>
      ((f.context as Obj[] | undefined) ?? []).map((c, i) => [c, `${at}.mutate.foreach[${j}].context[${i}]`] as const),
    ),
  ];
  for (const [entry, path] of entries) {
    const kind = unsupportedContextTypes.find((k) => entry[k] !== undefined);
    if (kind) return `${path}.${kind}: ${prefix} ${kind} context entries; ${kindNote}`;
    if ((entry.apiCall as Obj | undefined)?.service !== undefined)
      return `${path}.apiCall.service: ${prefix} calls to services; ${kindNote}`;
  }
  const mutate = rule.mutate as Obj | undefined;
  if (
    mutate &&
    mutate.patchStrategicMerge === undefined &&
    mutate.patchesJson6902 === undefined &&
    mutate.foreach === undefined
  )
    return `${at}.mutate: one of patchStrategicMerge, patchesJson6902 or foreach is required`;
  const pss = validate?.podSecurity as Obj | undefined;
  if (pss) {
    if (!['privileged', 'baseline', 'restricted'].includes(String(pss.level)))
      return `${at}.validate.podSecurity.level: Unsupported value: "${String(pss.level)}": supported values: "baseline", "privileged", "restricted"`;
    for (const [i, ex] of ((pss.exclude as Obj[] | undefined) ?? []).entries())
      if (!controlNames.includes(String(ex.controlName)))
        return `${at}.validate.podSecurity.exclude[${i}].controlName: Unsupported value: "${String(ex.controlName)}"`;
  }
  return undefined;
}

/** Rule types the embedded engine cannot run (refused at apply time, so normally none). */
export function unsupportedRules(policy: Obj): string[] {
  const rules = (((policy.spec as Obj | undefined)?.rules as Obj[] | undefined) ?? []).filter(Boolean);
  return rules.flatMap((rule, i) => {
    const problem = unsupportedFeature(rule, `spec.rules[${i}]`);
    return problem ? [`${String(rule.name)} (${problem.split(':')[0]})`] : [];
  });
}
