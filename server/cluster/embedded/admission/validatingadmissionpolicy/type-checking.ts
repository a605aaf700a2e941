import { builtinComponents, componentName, modelClassFor } from '../../registry/openapi/builtin-schemas.ts';
import type { ResourceCatalog } from '../../registry/catalog.ts';

type Obj = Record<string, unknown>;

interface Kind {
  group: string;
  version: string;
  kind: string;
}

/** Kinds a policy's matchConstraints name exactly (wildcards are not type-checked, as upstream). */
function matchedKinds(spec: Obj, catalog: ResourceCatalog): Kind[] {
  const out: Kind[] = [];
  for (const rule of ((spec.matchConstraints as Obj | undefined)?.resourceRules as Obj[] | undefined) ?? []) {
    for (const group of (rule.apiGroups as string[] | undefined) ?? [])
      for (const version of (rule.apiVersions as string[] | undefined) ?? [])
        for (const resource of (rule.resources as string[] | undefined) ?? []) {
          if ([group, version, resource].some((x) => x.includes('*')) || resource.includes('/')) continue;
          const def = catalog.find(group, version, resource);
          if (def && !def.crd) out.push({ group, version, kind: def.kind });
        }
  }
  return out;
}

function resolve(schema: Obj | undefined, components: Record<string, Obj>): Obj | undefined {
  let s = schema;
  for (let i = 0; i < 4 && s; i++) {
    const ref = (s.$ref as string | undefined) ?? ((s.allOf as Obj[] | undefined)?.[0]?.$ref as string | undefined);
    if (!ref) return s;
    s = components[ref.replace('#/components/schemas/', '')];
  }
  return s;
}

/** The first field selected on `object` or `oldObject` that the kind's schema does not have. */
function undefinedField(
  expression: string,
  root: Obj,
  components: Record<string, Obj>,
): { field: string; offset: number } | undefined {
  for (const m of expression.matchAll(/\b(?:object|oldObject)((?:\s*\.\??\s*[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
    let schema: Obj | undefined = root;
    const offset = m.index! + m[0].length - m[1]!.length;
    for (const part of m[1]!.matchAll(/\s*\.(\??)\s*([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const at = offset + part.index! + part[0].indexOf(part[2]!);
      schema = resolve(schema, components);
      if (!schema || schema.type !== 'object' || !schema.properties) break;
      const next = (schema.properties as Record<string, Obj>)[part[2]!];
      if (!next) return { field: part[2]!, offset: at };
      schema = next;
    }
  }
  return undefined;
}

/** "ERROR: <input>:1:13: …" with the source line and a caret under the column, as cel-go prints. */
function located(expression: string, offset: number, message: string): string {
  const before = expression.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n') - 1;
  const text = expression.split('\n')[line - 1] ?? '';
  return `ERROR: <input>:${line}:${column + 1}: ${message}\n | ${text}\n | ${'.'.repeat(column)}^`;
}

/**
 * status.typeChecking of a ValidatingAdmissionPolicy: expressions checked against the OpenAPI
 * schema of each kind the policy matches, warnings worded as kube-apiserver's type checker.
 */
export function typeCheckPolicy(spec: Obj, catalog: ResourceCatalog): Array<{ fieldRef: string; warning: string }> {
  const kinds = matchedKinds(spec, catalog);
  if (kinds.length === 0) return [];
  const expressions: Array<[string, string]> = [];
  for (const [i, v] of ((spec.validations as Obj[] | undefined) ?? []).entries()) {
    expressions.push([`spec.validations[${i}].expression`, String(v.expression ?? '')]);
    if (typeof v.messageExpression === 'string')
      expressions.push([`spec.validations[${i}].messageExpression`, v.messageExpression]);
  }
  for (const [i, v] of ((spec.variables as Obj[] | undefined) ?? []).entries())
    expressions.push([`spec.variables[${i}].expression`, String(v.expression ?? '')]);
  for (const [i, a] of ((spec.auditAnnotations as Obj[] | undefined) ?? []).entries())
    expressions.push([`spec.auditAnnotations[${i}].valueExpression`, String(a.valueExpression ?? '')]);
  const out: Array<{ fieldRef: string; warning: string }> = [];
  for (const [fieldRef, expression] of expressions) {
    const problems: string[] = [];
    for (const k of kinds) {
      const className = modelClassFor(k.group, k.version, k.kind);
      const components = builtinComponents([className]) as Record<string, Obj>;
      const root = components[componentName(className)];
      if (!root) continue;
      const found = undefinedField(expression, root, components);
      if (!found) continue;
      const gv = k.group ? `${k.group}/${k.version}` : k.version;
      problems.push(`${gv}, Kind=${k.kind}: ${located(expression, found.offset, `undefined field '${found.field}'`)}`);
    }
    if (problems.length) out.push({ fieldRef, warning: problems.join('\n') });
  }
  return out;
}
