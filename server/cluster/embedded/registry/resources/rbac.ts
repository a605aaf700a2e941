import { FieldError } from '../../api/status.ts';
import type { KubeObject } from '../../storage/types.ts';
import { ageColumn, asArray, createdAtColumn, field } from '../printing.ts';
import { standardVerbs, type ResourceDef, type TableColumn } from '../types.ts';

type Obj = Record<string, unknown>;
const rbacGroup = 'rbac.authorization.k8s.io';

function validateRules(role: KubeObject, clusterScoped: boolean): FieldError[] {
  const errs: FieldError[] = [];
  asArray(role.rules).forEach((rule, i) => {
    const at = `rules[${i}]`;
    if (asArray(rule.verbs).length === 0)
      errs.push(FieldError.required(`${at}.verbs`, 'verbs must contain at least one value'));
    const nonResource = asArray(rule.nonResourceURLs);
    if (nonResource.length > 0) {
      if (!clusterScoped)
        errs.push(
          FieldError.invalid(
            `${at}.nonResourceURLs`,
            nonResource,
            'namespaced rules cannot apply to non-resource URLs',
          ),
        );
      if (asArray(rule.apiGroups).length > 0 || asArray(rule.resources).length > 0) {
        errs.push(
          FieldError.invalid(
            `${at}.nonResourceURLs`,
            nonResource,
            'rules cannot apply to both regular resources and non-resource URLs',
          ),
        );
      }
      return;
    }
    if (asArray(rule.apiGroups).length === 0)
      errs.push(FieldError.required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
    if (asArray(rule.resources).length === 0)
      errs.push(FieldError.required(`${at}.resources`, 'resource rules must supply at least one resource'));
  });
  return errs;
}

const subjectKinds = ['ServiceAccount', 'User', 'Group'];

function validateBinding(binding: KubeObject, clusterScoped: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const roleRef = (binding.roleRef ?? {}) as Obj;
  if (roleRef.apiGroup !== rbacGroup)
    errs.push(FieldError.notSupported('roleRef.apiGroup', roleRef.apiGroup ?? '', [rbacGroup]));
  const kinds = clusterScoped ? ['ClusterRole'] : ['Role', 'ClusterRole'];
  if (!kinds.includes(String(roleRef.kind)))
    errs.push(FieldError.notSupported('roleRef.kind', roleRef.kind ?? '', kinds));
  if (!roleRef.name) errs.push(FieldError.required('roleRef.name', ''));
  asArray(binding.subjects).forEach((s, i) => {
    const at = `subjects[${i}]`;
    if (!s.name) errs.push(FieldError.required(`${at}.name`, ''));
    if (!subjectKinds.includes(String(s.kind))) {
      errs.push(FieldError.notSupported(`${at}.kind`, s.kind ?? '', subjectKinds));
      return;
    }
    if (s.kind === 'ServiceAccount') {
      if (s.apiGroup) errs.push(FieldError.notSupported(`${at}.apiGroup`, s.apiGroup, ['']));
      if (clusterScoped && !s.namespace) errs.push(FieldError.required(`${at}.namespace`, ''));
    } else if (s.apiGroup !== rbacGroup) {
      errs.push(FieldError.notSupported(`${at}.apiGroup`, s.apiGroup ?? '', [rbacGroup]));
    }
  });
  return errs;
}

function subjectsOfKind(o: KubeObject, kind: string): string {
  const names = asArray(o.subjects)
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : String(s.name)));
  return names.join(', ');
}

const bindingColumns: TableColumn[] = [
  {
    name: 'Role',
    type: 'string',
    description: 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.',
    priority: 0,
    cell: (o) => `${field(o, 'roleRef', 'kind')}/${field(o, 'roleRef', 'name')}`,
  },
  ageColumn,
  {
    name: 'Users',
    type: 'string',
    description: 'Users in the binding',
    priority: 1,
    cell: (o) => subjectsOfKind(o, 'User'),
  },
  {
    name: 'Groups',
    type: 'string',
    description: 'Groups in the binding',
    priority: 1,
    cell: (o) => subjectsOfKind(o, 'Group'),
  },
  {
    name: 'ServiceAccounts',
    type: 'string',
    description: 'ServiceAccounts in the binding',
    priority: 1,
    cell: (o) => subjectsOfKind(o, 'ServiceAccount'),
  },
];

function rbacDef(kind: string, plural: string, namespaced: boolean, strategy: ResourceDef['strategy']): ResourceDef {
  return {
    group: rbacGroup,
    version: 'v1',
    kind,
    plural,
    singular: kind.toLowerCase(),
    listKind: `${kind}List`,
    namespaced,
    nameRule: 'pathSegment',
    verbs: standardVerbs,
    strategy: { generationFields: [], ...strategy },
  };
}

export const roles = rbacDef('Role', 'roles', true, {
  validate: (r) => validateRules(r, false),
  columns: [createdAtColumn],
});
export const clusterroles = rbacDef('ClusterRole', 'clusterroles', false, {
  validate: (r) => validateRules(r, true),
  columns: [createdAtColumn],
});
export const rolebindings = rbacDef('RoleBinding', 'rolebindings', true, {
  validate: (b) => validateBinding(b, false),
  onUpdate: (b, old) =>
    JSON.stringify(b.roleRef) === JSON.stringify(old.roleRef)
      ? []
      : [FieldError.invalid('roleRef', b.roleRef, 'cannot change roleRef')],
  columns: bindingColumns,
});
export const clusterrolebindings = rbacDef('ClusterRoleBinding', 'clusterrolebindings', false, {
  validate: (b) => validateBinding(b, true),
  onUpdate: (b, old) =>
    JSON.stringify(b.roleRef) === JSON.stringify(old.roleRef)
      ? []
      : [FieldError.invalid('roleRef', b.roleRef, 'cannot change roleRef')],
  columns: bindingColumns,
});

export const rbacResources = [roles, rolebindings, clusterroles, clusterrolebindings];
