import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';
import { systemMasters } from '../../authentication/user.ts';
import { errors } from '../../api/status.ts';
import type { Store } from '../../storage/store.ts';
import type { RbacAuthorizer } from '../../authorization/rbac/authorizer.ts';
import { compactString, goQuoted, uncoveredRules, type PolicyRule } from '../../authorization/rbac/rules.ts';

const rbacGroup = 'rbac.authorization.k8s.io';

/**
 * RBAC escalation prevention on role and binding writes: a user may only create or
 * change a role whose permissions they hold (or with `escalate`), and may only bind a
 * role whose permissions they hold in that scope (or with `bind` on that role).
 */
export class RbacEscalationCheck implements AdmissionPlugin {
  readonly name = 'RBACEscalation';
  private readonly authorizer: RbacAuthorizer;
  private readonly store: Store;

  constructor(authorizer: RbacAuthorizer, store: Store) {
    this.authorizer = authorizer;
    this.store = store;
  }

  private may(attrs: AdmissionAttributes, verb: string, resource: string, name: string, namespace: string): boolean {
    return (
      this.authorizer.authorize({
        user: attrs.user,
        verb,
        isResourceRequest: true,
        path: '',
        apiGroup: rbacGroup,
        apiVersion: 'v1',
        resource,
        subresource: '',
        namespace,
        name,
      }).decision === 'allow'
    );
  }

  private confirmNoEscalation(attrs: AdmissionAttributes, requested: PolicyRule[], namespace: string): void {
    const missing = uncoveredRules(this.authorizer.rulesOf(attrs.user, namespace), requested);
    if (missing.length === 0) return;
    const lines = [...new Set(missing.map(compactString))].sort();
    const why = `user "${attrs.user.username}" (groups=${goQuoted(attrs.user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
    throw errors.forbidden({ group: rbacGroup, resource: attrs.resource.plural }, attrs.name, why);
  }

  validate(attrs: AdmissionAttributes): void {
    const def = attrs.resource;
    if (def.group !== rbacGroup || (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') || !attrs.object)
      return;
    if (attrs.user.groups.includes(systemMasters)) return;
    const namespace = def.namespaced ? attrs.namespace : '';
    if (def.plural === 'roles' || def.plural === 'clusterroles') {
      if (this.may(attrs, 'escalate', def.plural, attrs.name, namespace)) return;
      this.confirmNoEscalation(
        attrs,
        ((attrs.object.rules as PolicyRule[] | undefined) ?? []).filter(Boolean),
        namespace,
      );
      return;
    }
    if (def.plural === 'rolebindings' || def.plural === 'clusterrolebindings') {
      const roleRef = (attrs.object.roleRef ?? {}) as { kind?: string; name?: string };
      const roleResource = roleRef.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
      if (this.may(attrs, 'bind', roleResource, roleRef.name ?? '', namespace)) return;
      const role =
        roleResource === 'clusterroles'
          ? this.store.get('clusterroles.rbac.authorization.k8s.io', '', roleRef.name ?? '')
          : this.store.get('roles.rbac.authorization.k8s.io', namespace, roleRef.name ?? '');
      if (!role) throw errors.notFound({ group: rbacGroup, resource: roleResource }, roleRef.name ?? '');
      this.confirmNoEscalation(attrs, ((role.rules as PolicyRule[] | undefined) ?? []).filter(Boolean), namespace);
    }
  }
}
