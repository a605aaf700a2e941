import { sameContent } from '../api/objects.ts';
import { selectorMatches } from '../storage/selectors.ts';
import type { KubeObject } from '../storage/types.ts';
import type { Controller, ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;

/**
 * The rules an aggregated ClusterRole gets: those of every other role its selectors match, in
 * the order of `roles`, without duplicates; undefined when the role aggregates nothing.
 */
export function aggregatedRules(role: KubeObject, roles: readonly KubeObject[]): unknown[] | undefined {
  const selectors = ((role.aggregationRule as Obj | undefined)?.clusterRoleSelectors as Obj[] | undefined) ?? [];
  if (selectors.length === 0) return undefined;
  const rules: unknown[] = [];
  for (const other of roles) {
    if (other.metadata.name === role.metadata.name) continue;
    if (!selectors.some((s) => selectorMatches(s, other.metadata.labels ?? {}))) continue;
    for (const rule of (other.rules as unknown[] | undefined) ?? []) {
      if (!rules.some((r) => sameContent(r, rule))) rules.push(rule);
    }
  }
  return rules;
}

/** Fills the rules of aggregated ClusterRoles (admin, edit, view, ...) from the roles their selectors match. */
export class ClusterRoleAggregationController implements Controller {
  readonly name = 'clusterrole-aggregation-controller';
  readonly watches = ['clusterroles.rbac.authorization.k8s.io'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    const def = this.ctx.def('rbac.authorization.k8s.io', 'clusterroles');
    const roles = this.ctx.store.list('clusterroles.rbac.authorization.k8s.io');
    for (const role of roles) {
      const rules = aggregatedRules(role, roles);
      if (rules === undefined) continue;
      if (!sameContent(role.rules ?? [], rules)) this.ctx.registry.writeObject(def, { ...role, rules });
    }
  }
}
