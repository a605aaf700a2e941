import { FieldError } from '../api/status.ts';
import type { KubeObject } from '../storage/types.ts';

const dns1123LabelRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035LabelRe = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const qualifiedNameRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export const messages = {
  dns1123Label:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  dns1123Subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  dns1035Label:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  labelValue:
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  qualifiedName:
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
};

export type NameRule = 'dns1123Subdomain' | 'dns1123Label' | 'dns1035Label' | 'pathSegment';

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && dns1123LabelRe.test(value);
}

/** Errors for a name under one naming rule, as kube-apiserver words them. */
export function validateName(rule: NameRule, value: string, field: string): FieldError[] {
  switch (rule) {
    case 'dns1123Label':
      if (value.length > 63) return [FieldError.invalid(field, value, 'must be no more than 63 characters')];
      return dns1123LabelRe.test(value) ? [] : [FieldError.invalid(field, value, messages.dns1123Label)];
    case 'dns1035Label':
      if (value.length > 63) return [FieldError.invalid(field, value, 'must be no more than 63 characters')];
      return dns1035LabelRe.test(value) ? [] : [FieldError.invalid(field, value, messages.dns1035Label)];
    case 'pathSegment':
      if (value === '.' || value === '..') return [FieldError.invalid(field, value, `may not be '${value}'`)];
      if (/[/%]/.test(value)) return [FieldError.invalid(field, value, `may not contain '/'`)];
      return [];
    default:
      if (value.length > 253) return [FieldError.invalid(field, value, 'must be no more than 253 characters')];
      return dns1123SubdomainRe.test(value) ? [] : [FieldError.invalid(field, value, messages.dns1123Subdomain)];
  }
}

function validateQualifiedKey(key: string, field: string): FieldError[] {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const errs: FieldError[] = [];
  if (slash >= 0 && (prefix.length === 0 || !dns1123SubdomainRe.test(prefix))) {
    errs.push(FieldError.invalid(field, key, `prefix part ${messages.dns1123Subdomain}`));
  }
  if (name.length === 0) errs.push(FieldError.invalid(field, key, 'name part must be non-empty'));
  else if (name.length > 63) errs.push(FieldError.invalid(field, key, 'name part must be no more than 63 characters'));
  else if (!qualifiedNameRe.test(name)) errs.push(FieldError.invalid(field, key, messages.qualifiedName));
  return errs;
}

export function validateLabels(labels: unknown, field: string): FieldError[] {
  if (labels === undefined || labels === null) return [];
  const errs: FieldError[] = [];
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    errs.push(...validateQualifiedKey(key, field));
    if (typeof value !== 'string') continue;
    if (value.length > 63) errs.push(FieldError.invalid(field, value, 'must be no more than 63 characters'));
    else if (!labelValueRe.test(value)) errs.push(FieldError.invalid(field, value, messages.labelValue));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, field: string): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  const errs: FieldError[] = [];
  let total = 0;
  for (const [key, value] of Object.entries(annotations as Record<string, unknown>)) {
    errs.push(...validateQualifiedKey(key.toLowerCase(), field));
    total += key.length + String(value).length;
  }
  if (total > 256 * 1024) errs.push(FieldError.tooLong(field, 256 * 1024));
  return errs;
}

/** metadata checks every resource shares. */
export function validateObjectMeta(object: KubeObject, nameRule: NameRule, namespaced: boolean): FieldError[] {
  const meta = object.metadata;
  const errs: FieldError[] = [];
  if (!meta.name) errs.push(FieldError.required('metadata.name', 'name or generateName is required'));
  else errs.push(...validateName(nameRule, meta.name, 'metadata.name'));
  if (namespaced && !meta.namespace) errs.push(FieldError.required('metadata.namespace', ''));
  if (!namespaced && meta.namespace) errs.push(FieldError.forbidden('metadata.namespace', 'not allowed on this type'));
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  return errs;
}
