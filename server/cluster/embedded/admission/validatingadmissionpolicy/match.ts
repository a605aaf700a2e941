import type { AdmissionAttributes } from '../../registry/admission.ts';
import { selectorMatches } from '../../storage/selectors.ts';
import type { KubeObject } from '../../storage/types.ts';

type Obj = Record<string, unknown>;

function listMatches(list: unknown, value: string): boolean {
  const values = (list as string[] | undefined) ?? [];
  return values.includes('*') || values.includes(value);
}

/** A RuleWithOperations (plus scope and resourceNames) against a request. */
function ruleMatches(rule: Obj, attrs: AdmissionAttributes): boolean {
  const def = attrs.resource;
  if (!listMatches(rule.operations, attrs.operation)) return false;
  if (!listMatches(rule.apiGroups, def.group) || !listMatches(rule.apiVersions, def.version)) return false;
  const resource = attrs.subresource ? `${def.plural}/${attrs.subresource}` : def.plural;
  const resources = (rule.resources as string[] | undefined) ?? [];
  const resourceHit = resources.some((r) => {
    if (r === '*') return !attrs.subresource;
    if (r === '*/*') return true;
    if (r.startsWith('*/')) return attrs.subresource === r.slice(2);
    if (r.endsWith('/*')) return def.plural === r.slice(0, -2) && attrs.subresource !== '';
    return r === resource;
  });
  if (!resourceHit) return false;
  const scope = String(rule.scope ?? '*');
  if (scope === 'Cluster' && def.namespaced) return false;
  if (scope === 'Namespaced' && !def.namespaced) return false;
  const names = (rule.resourceNames as string[] | undefined) ?? [];
  if (names.length && !names.includes(attrs.name)) return false;
  return true;
}

/** Labels the namespaceSelector sees: the request's namespace, or a Namespace object's own labels. */
function namespaceLabels(
  attrs: AdmissionAttributes,
  namespace: KubeObject | undefined,
): Record<string, string> | undefined {
  if (attrs.resource.group === '' && attrs.resource.kind === 'Namespace')
    return (attrs.object ?? attrs.oldObject)?.metadata.labels ?? {};
  if (!attrs.resource.namespaced) return undefined;
  return namespace?.metadata.labels ?? {};
}

/** MatchResources (policy matchConstraints or binding matchResources) against a request. */
export function matchResourcesMatch(
  match: Obj | undefined,
  attrs: AdmissionAttributes,
  namespace: KubeObject | undefined,
): boolean {
  if (!match) return true;
  const rules = (match.resourceRules as Obj[] | undefined) ?? [];
  if (rules.length && !rules.some((r) => ruleMatches(r, attrs))) return false;
  if (((match.excludeResourceRules as Obj[] | undefined) ?? []).some((r) => ruleMatches(r, attrs))) return false;
  const nsSelector = match.namespaceSelector as Obj | undefined;
  if (nsSelector && Object.keys(nsSelector).length) {
    const labels = namespaceLabels(attrs, namespace);
    // Cluster-scoped objects other than Namespaces always match a namespaceSelector.
    if (labels && !selectorMatches(nsSelector, labels)) return false;
  }
  const objSelector = match.objectSelector as Obj | undefined;
  if (objSelector && Object.keys(objSelector).length) {
    const labelsOf = (o: KubeObject | undefined) => o?.metadata.labels ?? {};
    const hit =
      (attrs.object && selectorMatches(objSelector, labelsOf(attrs.object))) ||
      (attrs.oldObject && selectorMatches(objSelector, labelsOf(attrs.oldObject)));
    if (!hit) return false;
  }
  return true;
}
