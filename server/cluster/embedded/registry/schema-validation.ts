import { FieldError } from '../api/status.ts';
import { builtinComponents, componentName, type Schema } from './openapi/builtin-schemas.ts';

type Obj = Record<string, unknown>;

export interface SchemaIssue {
  path: string;
  kind: 'unknown' | 'type' | 'required' | 'enum';
  expected?: string;
  value?: unknown;
  allowed?: unknown[];
}

function resolve(schema: Schema | undefined, components: Record<string, Schema>): Schema | undefined {
  let current = schema;
  for (let i = 0; i < 8 && current; i++) {
    if (typeof current.$ref === 'string') current = components[current.$ref.split('/').pop()!];
    else if (Array.isArray(current.allOf) && current.allOf.length === 1 && !current.properties)
      current = { ...current, ...(current.allOf[0] as Schema), allOf: undefined };
    else break;
  }
  return current;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = jsonType(value);
  if (expected === 'number') return actual === 'number' || actual === 'integer';
  return actual === expected;
}

/** Walks an object against an OpenAPI schema, reporting unknown fields and (optionally) value errors. */
export function checkSchema(
  value: unknown,
  schema: Schema,
  components: Record<string, Schema>,
  values: boolean,
): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const visit = (v: unknown, s: Schema | undefined, path: string, top: boolean) => {
    s = resolve(s, components);
    if (!s || v === undefined) return;
    if (v === null) return;
    if (s['x-kubernetes-int-or-string']) {
      if (values && typeof v !== 'string' && !Number.isInteger(v))
        issues.push({ path, kind: 'type', expected: 'integer or string', value: v });
      return;
    }
    const type = s.type as string | undefined;
    if (values && type && !typeMatches(type, v)) {
      issues.push({ path, kind: 'type', expected: type, value: v });
      return;
    }
    if (values && Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
      issues.push({ path, kind: 'enum', value: v, allowed: s.enum });
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, s.items as Schema | undefined, `${path}[${i}]`, false));
      return;
    }
    if (typeof v !== 'object') return;
    const obj = v as Obj;
    if (values && Array.isArray(s.required)) {
      for (const r of s.required as string[])
        if (obj[r] === undefined) issues.push({ path: path ? `${path}.${r}` : r, kind: 'required' });
    }
    const props = s.properties as Record<string, Schema> | undefined;
    const additional = s.additionalProperties as Schema | boolean | undefined;
    for (const [key, child] of Object.entries(obj)) {
      const childPath = path ? `${path}.${key}` : key;
      if (top && (key === 'apiVersion' || key === 'kind')) continue;
      if (top && key === 'metadata') {
        const metaComponents = builtinComponents(['V1ObjectMeta']);
        for (const issue of checkSchema(
          child,
          metaComponents[componentName('V1ObjectMeta')]!,
          metaComponents,
          values,
        )) {
          issues.push({ ...issue, path: `metadata.${issue.path}` });
        }
        continue;
      }
      if (props && key in props) visit(child, props[key], childPath, false);
      else if (additional && typeof additional === 'object') visit(child, additional, childPath, false);
      else if (additional === true || s['x-kubernetes-preserve-unknown-fields']) continue;
      else if (props || type === 'object') issues.push({ path: childPath, kind: 'unknown' });
    }
  };
  visit(value, schema, '', true);
  return issues;
}

/** Unknown fields of a built-in object ("spec.containers[0].imagee"), for fieldValidation. */
export function unknownBuiltinFields(object: unknown, modelClass: string): string[] | undefined {
  const components = builtinComponents([modelClass]);
  const root = components[componentName(modelClass)];
  if (!root) return undefined;
  return checkSchema(object, root, components, false)
    .filter((i) => i.kind === 'unknown')
    .map((i) => i.path);
}

/** Type mismatches in a built-in object, which the API server reports as decode errors. */
export function builtinTypeErrors(object: unknown, modelClass: string): SchemaIssue[] {
  const components = builtinComponents([modelClass]);
  const root = components[componentName(modelClass)];
  if (!root) return [];
  return checkSchema(object, root, components, true).filter((i) => i.kind === 'type');
}

/** Unknown fields of a custom resource under its CRD schema. */
export function unknownCustomFields(object: unknown, schema: Schema): string[] {
  return checkSchema(object, schema, {}, false)
    .filter((i) => i.kind === 'unknown')
    .map((i) => i.path);
}

/** Removes unknown fields of a custom resource (CRD pruning). */
export function pruneUnknown(object: Obj, paths: string[]): void {
  for (const path of paths) {
    const steps = path.match(/[^.[\]]+|\[\d+\]/g) ?? [];
    let node: unknown = object;
    for (const step of steps.slice(0, -1)) {
      if (node === null || typeof node !== 'object') break;
      node = step.startsWith('[') ? (node as unknown[])[Number(step.slice(1, -1))] : (node as Obj)[step];
    }
    const last = steps[steps.length - 1];
    if (node && typeof node === 'object' && last && !last.startsWith('[')) delete (node as Obj)[last];
  }
}

/** CRD structural schema checks (types, required, enum) as 422 field errors. */
export function validateAgainstSchema(object: unknown, schema: Schema): FieldError[] {
  return checkSchema(object, schema, {}, true)
    .filter((i) => i.kind !== 'unknown' && !i.path.startsWith('metadata'))
    .map((i) => {
      if (i.kind === 'required') return FieldError.required(i.path, '');
      if (i.kind === 'enum') return FieldError.notSupported(i.path, i.value, (i.allowed ?? []).map(String));
      return FieldError.invalid(
        i.path,
        jsonType(i.value),
        `${i.path} in body must be of type ${i.expected}: "${jsonType(i.value)}"`,
      );
    });
}
