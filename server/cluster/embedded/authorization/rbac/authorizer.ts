import type { Store } from '../../storage/store.ts';
import type { KubeObject } from '../../storage/types.ts';
import { systemMasters, type UserInfo } from '../../authentication/user.ts';
import type {
  Attributes,
  AuthorizationResult,
  Authorizer,
  NonResourceRule,
  ResourceRule,
  RulesResult,
} from '../authorizer.ts';
import { ruleAllows, type PolicyRule } from './rules.ts';

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

/** Whether a binding subject names this user (rbac.appliesTo). */
export function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.username;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return user.username === `system:serviceaccount:${namespace}:${subject.name}`;
    }
    default:
      return false;
  }
}

interface Grant {
  rules: PolicyRule[];
  describe: () => string;
}

/**
 * The RBAC authorizer: allows when any rule of any role bound to the user (cluster-wide
 * through ClusterRoleBindings, or in the request's namespace through RoleBindings)
 * matches. system:masters is always allowed, as kube-apiserver's privileged group is.
 * Bindings to missing roles are kept and grant nothing.
 */
export class RbacAuthorizer implements Authorizer {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  private roleRules(kind: string, name: string, namespace: string): PolicyRule[] {
    const role =
      kind === 'ClusterRole'
        ? this.store.get('clusterroles.rbac.authorization.k8s.io', '', name)
        : this.store.get('roles.rbac.authorization.k8s.io', namespace, name);
    return ((role?.rules as PolicyRule[] | null | undefined) ?? []).filter((r) => Array.isArray(r?.verbs));
  }

  /** Every grant that applies to a user in a namespace ("" = cluster-wide only). */
  private grants(user: UserInfo, namespace: string): Grant[] {
    const grants: Grant[] = [];
    const who = (s: Subject) => `${s.kind} "${s.kind === 'ServiceAccount' ? `${s.namespace}/${s.name}` : s.name}"`;
    const add = (binding: KubeObject, bindingNamespace: string) => {
      const roleRef = (binding.roleRef ?? {}) as { kind?: string; name?: string };
      const subjects = ((binding.subjects as Subject[] | undefined) ?? []).filter(
        (s) => s && subjectMatches(s, user, bindingNamespace),
      );
      if (subjects.length === 0 || !roleRef.kind || !roleRef.name) return;
      const rules = this.roleRules(roleRef.kind, roleRef.name, bindingNamespace);
      const kind = binding.kind;
      grants.push({
        rules,
        describe: () =>
          `RBAC: allowed by ${kind} "${binding.metadata.name}${bindingNamespace ? `/${bindingNamespace}` : ''}" of ${roleRef.kind} "${roleRef.name}" to ${who(subjects[0]!)}`,
      });
    };
    for (const b of this.store.list('clusterrolebindings.rbac.authorization.k8s.io')) add(b, '');
    if (namespace)
      for (const b of this.store.list('rolebindings.rbac.authorization.k8s.io', namespace)) add(b, namespace);
    return grants;
  }

  authorize(attributes: Attributes): AuthorizationResult {
    if (attributes.user.groups.includes(systemMasters)) return { decision: 'allow', reason: '' };
    for (const grant of this.grants(attributes.user, attributes.isResourceRequest ? attributes.namespace : '')) {
      if (grant.rules.some((rule) => ruleAllows(attributes, rule)))
        return { decision: 'allow', reason: grant.describe() };
    }
    return { decision: 'no-opinion', reason: '' };
  }

  /** All rules that apply to a user in a namespace (for escalation checks and rules reviews). */
  rulesOf(user: UserInfo, namespace: string): PolicyRule[] {
    const rules = this.grants(user, namespace).flatMap((g) => g.rules);
    if (user.groups.includes(systemMasters))
      rules.unshift({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] });
    return rules;
  }

  rulesFor(user: UserInfo, namespace: string): RulesResult {
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    for (const rule of this.rulesOf(user, namespace)) {
      if (rule.nonResourceURLs?.length)
        nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs });
      else {
        const r: ResourceRule = { verbs: rule.verbs, apiGroups: rule.apiGroups ?? [], resources: rule.resources ?? [] };
        if (rule.resourceNames?.length) r.resourceNames = rule.resourceNames;
        resourceRules.push(r);
      }
    }
    return { resourceRules, nonResourceRules, incomplete: false };
  }
}
