import { operators } from './conditions.ts';
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

/** Rule types the embedded engine cannot run; the policy's Ready condition says so. */
export function unsupportedRules(policy: Obj): string[] {
  const rules = (((policy.spec as Obj | undefined)?.rules as Obj[] | undefined) ?? []).filter(Boolean);
  const out: string[] = [];
  for (const rule of rules) {
    for (const kind of ['mutate', 'generate', 'verifyImages'] as const) {
      if (rule[kind] !== undefined) out.push(`${String(rule.name)} (${kind})`);
    }
    const validate = rule.validate as Obj | undefined;
    for (const kind of ['podSecurity', 'cel', 'manifests', 'foreach', 'assert'] as const) {
      if (validate?.[kind] !== undefined) out.push(`${String(rule.name)} (validate.${kind})`);
    }
  }
  return out;
}
