import { labelSelectorRequirements, matchesRequirements } from '../../storage/selectors.ts';
import { wildcardMatch } from './values.ts';

type Obj = Record<string, unknown>;

/** What a rule is matched against (Kyverno's admission request, reduced). */
export interface MatchRequest {
  group: string;
  version: string;
  kind: string;
  subresource: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  namespaceLabels?: Record<string, string>;
  operation: string;
  userInfo: { username: string; groups: string[] };
  roles: string[];
  clusterRoles: string[];
}

/** "Pod", "v1/Pod", "apps/v1/Deployment", "Pod/exec", "*\/scale", "*". */
export function kindMatches(entry: string, req: MatchRequest): boolean {
  const parts = entry.split('/');
  let group = '*';
  let version = '*';
  let kind = '*';
  let subresource = '';
  if (parts.length === 1) kind = parts[0]!;
  else if (parts.length === 2) {
    // "v1/Pod" is version/kind; "Pod/exec" and "*/scale" are kind/subresource.
    if (/^v\d/.test(parts[0]!)) [version, kind] = parts as [string, string];
    else [kind, subresource] = parts as [string, string];
  } else if (parts.length === 3) {
    group = parts[0]!;
    version = parts[1]!;
    kind = parts[2]!;
  } else if (parts.length === 4) {
    [group, version, kind, subresource] = parts as [string, string, string, string];
  }
  if (!wildcardMatch(kind, req.kind)) return false;
  if (group !== '*' && !wildcardMatch(group, req.group)) return false;
  if (version !== '*' && !wildcardMatch(version, req.version)) return false;
  if (subresource) return wildcardMatch(subresource, req.subresource);
  // A plain kind matches the object itself and pods/ephemeralcontainers, not other subresources.
  return req.subresource === '' || (req.kind === 'Pod' && req.subresource === 'ephemeralcontainers');
}

function selectorMatchesWithWildcards(selector: Obj, labels: Record<string, string>): boolean {
  const matchLabels = (selector.matchLabels as Record<string, string>) ?? {};
  for (const [k, v] of Object.entries(matchLabels)) {
    const keyMatches = Object.keys(labels).filter((l) => wildcardMatch(k, l));
    if (!keyMatches.some((l) => wildcardMatch(v, labels[l]!))) return false;
  }
  const rest = { ...selector, matchLabels: {} };
  return matchesRequirements(labelSelectorRequirements(rest), labels);
}

/** One resource filter: every attribute set must match (values in a list are ORed). */
function filterMatches(filter: Obj, req: MatchRequest): boolean {
  const resources = (filter.resources ?? {}) as Obj;
  const kinds = (resources.kinds as string[] | undefined) ?? [];
  if (kinds.length && !kinds.some((k) => kindMatches(k, req))) return false;
  const name = req.name;
  if (typeof resources.name === 'string' && !wildcardMatch(resources.name, name)) return false;
  const names = resources.names as string[] | undefined;
  if (names?.length && !names.some((n) => wildcardMatch(n, name))) return false;
  const namespaces = resources.namespaces as string[] | undefined;
  if (namespaces?.length) {
    const ns = req.kind === 'Namespace' && req.group === '' ? req.name : req.namespace;
    if (!namespaces.some((n) => wildcardMatch(n, ns))) return false;
  }
  const operations = resources.operations as string[] | undefined;
  if (operations?.length && !operations.includes(req.operation)) return false;
  const annotations = resources.annotations as Record<string, string> | undefined;
  if (
    annotations &&
    !Object.entries(annotations).every(([k, v]) =>
      Object.entries(req.annotations).some(([ak, av]) => wildcardMatch(k, ak) && wildcardMatch(v, av)),
    )
  ) {
    return false;
  }
  if (resources.selector && !selectorMatchesWithWildcards(resources.selector as Obj, req.labels)) return false;
  if (resources.namespaceSelector) {
    if (req.kind === 'Namespace' || !req.namespaceLabels) return false;
    if (!selectorMatchesWithWildcards(resources.namespaceSelector as Obj, req.namespaceLabels)) return false;
  }
  const subjects = filter.subjects as Array<{ kind: string; name: string; namespace?: string }> | undefined;
  if (subjects?.length) {
    const hit = subjects.some((s) => {
      if (s.kind === 'User') return wildcardMatch(s.name, req.userInfo.username);
      if (s.kind === 'Group') return req.userInfo.groups.some((g) => wildcardMatch(s.name, g));
      if (s.kind === 'ServiceAccount')
        return req.userInfo.username === `system:serviceaccount:${s.namespace ?? ''}:${s.name}`;
      return false;
    });
    if (!hit) return false;
  }
  const roles = filter.roles as string[] | undefined;
  if (roles?.length && !roles.some((r) => req.roles.includes(r))) return false;
  const clusterRoles = filter.clusterRoles as string[] | undefined;
  if (clusterRoles?.length && !clusterRoles.some((r) => req.clusterRoles.includes(r))) return false;
  return true;
}

/** match: {any}, {all} or the legacy single filter. */
export function matchBlockMatches(block: Obj | undefined, req: MatchRequest): boolean {
  if (!block) return false;
  if (Array.isArray(block.any)) return (block.any as Obj[]).some((f) => filterMatches(f, req));
  if (Array.isArray(block.all)) return (block.all as Obj[]).every((f) => filterMatches(f, req));
  return filterMatches(block, req);
}

/** exclude: any filter excludes with {any}; {all} excludes only when every filter matches. */
export function excluded(block: Obj | undefined, req: MatchRequest): boolean {
  if (!block) return false;
  if (Array.isArray(block.any)) return (block.any as Obj[]).some((f) => filterMatches(f, req));
  if (Array.isArray(block.all))
    return (block.all as Obj[]).length > 0 && (block.all as Obj[]).every((f) => filterMatches(f, req));
  if (Object.keys(block).length === 0) return false;
  return filterMatches(block, req);
}

/** Filters of a match or exclude block, whatever its form. */
export function filtersOf(block: Obj | undefined): Obj[] {
  if (!block) return [];
  if (Array.isArray(block.any)) return block.any as Obj[];
  if (Array.isArray(block.all)) return block.all as Obj[];
  return Object.keys(block).length ? [block] : [];
}
