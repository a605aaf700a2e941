import { compileAdmissionExpression, policyVariables } from '../../cel/admission.ts';
import { FieldError } from '../../api/status.ts';
import type { KubeObject } from '../../storage/types.ts';
import { validateLabelSelector } from '../../storage/selectors.ts';
import { ageColumn, asArray } from '../printing.ts';
import { standardVerbs, type ResourceDef } from '../types.ts';

type Obj = Record<string, unknown>;
const group = 'admissionregistration.k8s.io';
const reasons = ['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge'];
const operations = ['*', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

function defaultMatchResources(match: Obj | undefined): void {
  if (!match) return;
  match.namespaceSelector ??= {};
  match.objectSelector ??= {};
  match.matchPolicy ??= 'Equivalent';
  for (const key of ['resourceRules', 'excludeResourceRules'])
    for (const rule of asArray(match[key])) rule.scope ??= '*';
}

function validateRules(rules: Obj[], at: string): FieldError[] {
  const errs: FieldError[] = [];
  rules.forEach((rule, i) => {
    const path = `${at}[${i}]`;
    for (const key of ['apiGroups', 'apiVersions', 'resources', 'operations']) {
      const list = rule[key] as unknown[] | undefined;
      if (!list?.length) errs.push(FieldError.required(`${path}.${key}`, ''));
      else if (list.includes('*') && list.length > 1)
        errs.push(FieldError.invalid(`${path}.${key}`, list, "if '*' is present, must not specify other values"));
    }
    for (const [j, op] of ((rule.operations as unknown[]) ?? []).entries())
      if (!operations.includes(String(op)))
        errs.push(FieldError.notSupported(`${path}.operations[${j}]`, op, operations));
    if (!['*', 'Cluster', 'Namespaced'].includes(String(rule.scope)))
      errs.push(FieldError.notSupported(`${path}.scope`, rule.scope, ['*', 'Cluster', 'Namespaced']));
  });
  return errs;
}

function validateMatchResources(match: Obj | undefined, at: string, required: boolean): FieldError[] {
  if (!match) return required ? [FieldError.required(at, '')] : [];
  const errs: FieldError[] = [];
  const rules = asArray(match.resourceRules);
  if (required && rules.length === 0) errs.push(FieldError.required(`${at}.resourceRules`, ''));
  errs.push(...validateRules(rules, `${at}.resourceRules`));
  errs.push(...validateRules(asArray(match.excludeResourceRules), `${at}.excludeResourceRules`));
  if (!['Exact', 'Equivalent'].includes(String(match.matchPolicy)))
    errs.push(FieldError.notSupported(`${at}.matchPolicy`, match.matchPolicy, ['Equivalent', 'Exact']));
  for (const key of ['namespaceSelector', 'objectSelector'])
    if (match[key]) errs.push(...validateLabelSelector(match[key] as Obj, `${at}.${key}`));
  return errs;
}

function compileErrors(expression: unknown, field: string, variables: string[]): FieldError[] {
  if (typeof expression !== 'string' || expression.trim() === '') return [FieldError.required(field, '')];
  const result = compileAdmissionExpression(expression, variables);
  return result.error ? [FieldError.invalid(field, expression, `compilation failed: ${result.error}`)] : [];
}

function validatePolicy(policy: KubeObject): FieldError[] {
  const spec = (policy.spec ?? {}) as Obj;
  const errs: FieldError[] = [];
  const hasParams = spec.paramKind !== undefined;
  const names = policyVariables(hasParams, asArray(spec.variables).length > 0);
  const failurePolicy = spec.failurePolicy;
  if (!['Fail', 'Ignore'].includes(String(failurePolicy)))
    errs.push(FieldError.notSupported('spec.failurePolicy', failurePolicy, ['Fail', 'Ignore']));
  if (spec.paramKind) {
    const pk = spec.paramKind as Obj;
    if (!pk.apiVersion) errs.push(FieldError.required('spec.paramKind.apiVersion', ''));
    if (!pk.kind) errs.push(FieldError.required('spec.paramKind.kind', ''));
  }
  errs.push(...validateMatchResources(spec.matchConstraints as Obj | undefined, 'spec.matchConstraints', true));
  const validations = asArray(spec.validations);
  const audits = asArray(spec.auditAnnotations);
  if (validations.length === 0 && audits.length === 0)
    errs.push(
      FieldError.required('spec.validations', 'validations or auditAnnotations must contain at least one item'),
    );
  const seenVariables = new Set<string>();
  asArray(spec.variables).forEach((v, i) => {
    const at = `spec.variables[${i}]`;
    const name = String(v.name ?? '');
    if (!name) errs.push(FieldError.required(`${at}.name`, 'name is not specified'));
    else if (!/^[_a-zA-Z][_a-zA-Z0-9]*$/.test(name))
      errs.push(FieldError.invalid(`${at}.name`, name, 'name is not a valid CEL identifier'));
    else if (seenVariables.has(name)) errs.push(FieldError.duplicate(`${at}.name`, name));
    seenVariables.add(name);
    errs.push(...compileErrors(v.expression, `${at}.expression`, names));
  });
  const matchConditionNames = policyVariables(hasParams, false);
  asArray(spec.matchConditions).forEach((c, i) => {
    const at = `spec.matchConditions[${i}]`;
    if (!c.name) errs.push(FieldError.required(`${at}.name`, ''));
    errs.push(...compileErrors(c.expression, `${at}.expression`, matchConditionNames));
  });
  validations.forEach((v, i) => {
    const at = `spec.validations[${i}]`;
    errs.push(...compileErrors(v.expression, `${at}.expression`, names));
    if (v.messageExpression !== undefined)
      errs.push(...compileErrors(v.messageExpression, `${at}.messageExpression`, names));
    if (typeof v.message === 'string' && v.message.includes('\n'))
      errs.push(FieldError.invalid(`${at}.message`, v.message, 'message must not contain line breaks'));
    if (v.reason !== undefined && !reasons.includes(String(v.reason)))
      errs.push(FieldError.notSupported(`${at}.reason`, v.reason, reasons));
  });
  const keys = new Set<string>();
  audits.forEach((a, i) => {
    const at = `spec.auditAnnotations[${i}]`;
    const key = String(a.key ?? '');
    if (!key) errs.push(FieldError.required(`${at}.key`, ''));
    else if (keys.has(key)) errs.push(FieldError.duplicate(`${at}.key`, key));
    keys.add(key);
    errs.push(...compileErrors(a.valueExpression, `${at}.valueExpression`, names));
  });
  return errs;
}

const actions = ['Deny', 'Warn', 'Audit'];

function validateBinding(binding: KubeObject): FieldError[] {
  const spec = (binding.spec ?? {}) as Obj;
  const errs: FieldError[] = [];
  if (!spec.policyName) errs.push(FieldError.required('spec.policyName', ''));
  const list = (spec.validationActions as unknown[] | undefined) ?? [];
  if (list.length === 0)
    errs.push(FieldError.required('spec.validationActions', 'at least one validation action is required'));
  const seen = new Set<string>();
  list.forEach((a, i) => {
    if (!actions.includes(String(a))) errs.push(FieldError.notSupported(`spec.validationActions[${i}]`, a, actions));
    else if (seen.has(String(a))) errs.push(FieldError.duplicate(`spec.validationActions[${i}]`, a));
    seen.add(String(a));
  });
  if (seen.has('Deny') && seen.has('Warn'))
    errs.push(
      FieldError.invalid(
        'spec.validationActions',
        list,
        'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
      ),
    );
  const ref = spec.paramRef as Obj | undefined;
  if (ref) {
    if (ref.name && ref.selector)
      errs.push(FieldError.forbidden('spec.paramRef.name', 'name and selector are mutually exclusive'));
    if (!ref.name && !ref.selector)
      errs.push(FieldError.required('spec.paramRef', 'one of name or selector must be specified'));
    if (!['Allow', 'Deny'].includes(String(ref.parameterNotFoundAction)))
      errs.push(
        ref.parameterNotFoundAction === undefined
          ? FieldError.required('spec.paramRef.parameterNotFoundAction', '')
          : FieldError.notSupported('spec.paramRef.parameterNotFoundAction', ref.parameterNotFoundAction, [
              'Allow',
              'Deny',
            ]),
      );
  }
  errs.push(...validateMatchResources(spec.matchResources as Obj | undefined, 'spec.matchResources', false));
  return errs;
}

export const validatingadmissionpolicies: ResourceDef = {
  group,
  version: 'v1',
  kind: 'ValidatingAdmissionPolicy',
  plural: 'validatingadmissionpolicies',
  singular: 'validatingadmissionpolicy',
  listKind: 'ValidatingAdmissionPolicyList',
  namespaced: false,
  categories: ['api-extensions'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'ValidatingAdmissionPolicy', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    defaults(policy) {
      const spec = ((policy.spec as Obj | undefined) ?? (policy.spec = {})) as Obj;
      spec.failurePolicy ??= 'Fail';
      defaultMatchResources(spec.matchConstraints as Obj | undefined);
    },
    validate: (p) => validatePolicy(p),
    columns: [
      {
        name: 'Validations',
        type: 'integer',
        description: 'Validations indicates the number of validation rules',
        priority: 0,
        cell: (o) => asArray((o.spec as Obj | undefined)?.validations).length,
      },
      {
        name: 'ParamKind',
        type: 'string',
        description: 'ParamKind specifies the kind of resources used to parameterize this policy',
        priority: 0,
        cell: (o) => {
          const pk = (o.spec as Obj | undefined)?.paramKind as Obj | undefined;
          return pk ? `${String(pk.apiVersion)}/${String(pk.kind)}` : '<unset>';
        },
      },
      ageColumn,
    ],
  },
};

export const validatingadmissionpolicybindings: ResourceDef = {
  group,
  version: 'v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  plural: 'validatingadmissionpolicybindings',
  singular: 'validatingadmissionpolicybinding',
  listKind: 'ValidatingAdmissionPolicyBindingList',
  namespaced: false,
  categories: ['api-extensions'],
  verbs: standardVerbs,
  strategy: {
    defaults(binding) {
      const spec = ((binding.spec as Obj | undefined) ?? (binding.spec = {})) as Obj;
      defaultMatchResources(spec.matchResources as Obj | undefined);
    },
    validate: (b) => validateBinding(b),
    columns: [
      {
        name: 'PolicyName',
        type: 'string',
        description:
          'PolicyName references a ValidatingAdmissionPolicy name which the ValidatingAdmissionPolicyBinding binds to',
        priority: 0,
        cell: (o) => String((o.spec as Obj | undefined)?.policyName ?? ''),
      },
      {
        name: 'ParamRef',
        type: 'string',
        description: 'ParamRef specifies the parameter resource used to configure the admission control policy',
        priority: 0,
        cell: (o) => {
          const ref = (o.spec as Obj | undefined)?.paramRef as Obj | undefined;
          if (!ref) return '<unset>';
          const name = ref.name ? String(ref.name) : '*';
          return ref.namespace ? `${String(ref.namespace)}/${name}` : name;
        },
      },
      ageColumn,
    ],
  },
};

export const admissionRegistrationResources = [validatingadmissionpolicies, validatingadmissionpolicybindings];
