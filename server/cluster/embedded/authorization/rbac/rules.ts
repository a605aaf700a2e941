import type { Attributes } from '../authorizer.ts';

/** rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const all = '*';

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === all || v === verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === all || g === group);
}

/** "pods" matches only pods; "pods/exec" the subresource; "*" everything; "*\/scale" and "pods/*" the wildcard forms. */
function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => {
    if (r === all || r === combined) return true;
    if (!subresource) return false;
    if (r === `*/${subresource}`) return true;
    return r === `${resource}/*`;
  });
}

/** resourceNames restrict only requests that name an object (not create, list or collection requests). */
function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  if (names.length === 0) return true;
  return names.includes(name);
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((url) => {
    if (url === all || url === path) return true;
    return url.endsWith('*') && path.startsWith(url.slice(0, -1));
  });
}

/** Whether one rule allows the request (rbac.RuleAllows). */
export function ruleAllows(attributes: Attributes, rule: PolicyRule): boolean {
  if (attributes.isResourceRequest) {
    return (
      verbMatches(rule, attributes.verb) &&
      apiGroupMatches(rule, attributes.apiGroup) &&
      resourceMatches(rule, attributes.resource, attributes.subresource) &&
      resourceNameMatches(rule, attributes.name)
    );
  }
  return verbMatches(rule, attributes.verb) && nonResourceURLMatches(rule, attributes.path);
}

/** Splits a rule into single group/resource/verb(/name) rules (rbac validation's BreakdownRule). */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length)
          for (const name of names)
            out.push({ apiGroups: [group], resources: [resource], resourceNames: [name], verbs: [verb] });
        else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? [])
    for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

function has(list: string[] | undefined, value: string): boolean {
  return (list ?? []).includes(all) || (list ?? []).includes(value);
}

/** Whether an owner rule covers one broken-down rule (rbac validation's ruleCovers). */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  if (!sub.verbs.every((v) => has(owner.verbs, v))) return false;
  if (sub.nonResourceURLs?.length) {
    return sub.nonResourceURLs.every((url) =>
      (owner.nonResourceURLs ?? []).some(
        (o) => o === all || o === url || (o.endsWith('*') && url.startsWith(o.slice(0, -1))),
      ),
    );
  }
  if (!(sub.apiGroups ?? []).every((g) => has(owner.apiGroups, g))) return false;
  const resourcesCovered = (sub.resources ?? []).every((r) => {
    const owned = owner.resources ?? [];
    if (owned.includes(all) || owned.includes(r)) return true;
    const slash = r.indexOf('/');
    if (slash > 0) {
      const [parent, child] = [r.slice(0, slash), r.slice(slash + 1)];
      return owned.includes(`${parent}/*`) || owned.includes(`*/${child}`);
    }
    return false;
  });
  if (!resourcesCovered) return false;
  const ownerNames = owner.resourceNames ?? [];
  if (ownerNames.length === 0) return true;
  const subNames = sub.resourceNames ?? [];
  return subNames.length > 0 && subNames.every((n) => ownerNames.includes(n));
}

/** The rules of `requested` not covered by `owned`, compacted (rbac validation's Covers + CompactRules). */
export function uncoveredRules(owned: PolicyRule[], requested: PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of requested) {
    for (const sub of breakdownRule(rule)) {
      if (!owned.some((o) => ruleCovers(o, sub))) missing.push(sub);
    }
  }
  return compactRules(missing);
}

/** Merges verbs of rules on the same single group/resource/names. */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const index = new Map<string, PolicyRule>();
  for (const rule of rules) {
    if (rule.nonResourceURLs?.length) {
      out.push(rule);
      continue;
    }
    const key = JSON.stringify([rule.apiGroups, rule.resources, rule.resourceNames ?? []]);
    const existing = index.get(key);
    if (existing) {
      for (const v of rule.verbs) if (!existing.verbs.includes(v)) existing.verbs.push(v);
    } else {
      const copy = { ...rule, verbs: [...rule.verbs] };
      index.set(key, copy);
      out.push(copy);
    }
  }
  return out;
}

const goQuoted = (list: string[]) => `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;

/** PolicyRule.CompactString: {APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}. */
export function compactString(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${goQuoted(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${goQuoted(rule.resources)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoted(rule.nonResourceURLs)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${goQuoted(rule.resourceNames)}`);
  if (rule.verbs.length) parts.push(`Verbs:${goQuoted(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

export { goQuoted };
