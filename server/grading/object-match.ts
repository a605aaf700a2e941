import { compile, search, type JSONValue } from '@jmespath-community/jmespath';
import type { z } from 'zod';
import { objectRef } from '../../src/contracts/lab.ts';
import { ResourcePaths } from '../kube/resources.ts';
import type { GradingContext } from './types.ts';

/**
 * kuttl/Chainsaw partial matching: every expected field must be present and equal; arrays match
 * element by element. As in Chainsaw's assertion trees, a key written `(expression)` is a
 * JMESPath projection of the node it sits in, and its value is matched against the result, so
 * one check accepts every valid way to reach a state (a field set at pod or container level, any
 * volume mounted at /tmp). `$` in an expression is that node.
 */
export interface Mismatch {
  path: string;
  expected: unknown;
  actual: unknown;
  /** Found through an expression key: the path means nothing to a learner. */
  expression?: boolean;
}

/** `(length(spec.containers))` → `length(spec.containers)`; undefined for plain keys. */
export function expressionOf(key: string): string | undefined {
  return /^\((.+)\)$/s.exec(key)?.[1];
}

/** Every expression key in an expected tree, with where it is (for validation). */
export function expressionKeys(expected: unknown, path = ''): { path: string; expression: string }[] {
  if (expected === null || typeof expected !== 'object') return [];
  if (Array.isArray(expected)) return expected.flatMap((item, i) => expressionKeys(item, `${path}[${i}]`));
  return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) => {
    const at = path ? `${path}.${k}` : k;
    const expression = expressionOf(k);
    return [...(expression ? [{ path: at, expression }] : []), ...expressionKeys(v, at)];
  });
}

/** Why an expression does not compile, or undefined when it does. */
export function expressionProblem(expression: string): string | undefined {
  try {
    compile(expression);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The object of an assert or absent check, with every expression key compiled at validation time. */
export const assertionTree = objectRef.superRefine((tree, ctx) => {
  for (const { path, expression } of expressionKeys(tree)) {
    const problem = expressionProblem(expression);
    if (problem)
      ctx.addIssue({ code: 'custom', message: `the expression key ${path} is not valid JMESPath: ${problem}` });
  }
});

function project(node: unknown, expression: string): unknown {
  const value = search(node as JSONValue, expression);
  return value === null ? undefined : value;
}

export function partialMismatches(expected: unknown, actual: unknown, path = '', expression = false): Mismatch[] {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return [{ path: path || '(object)', expected, actual, expression }];
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) => {
      const at = path ? `${path}.${k}` : k;
      const projection = expressionOf(k);
      if (projection === undefined) return partialMismatches(v, (actual as Record<string, unknown>)[k], at, expression);
      let value: unknown;
      try {
        value = project(actual, projection);
      } catch (error) {
        return [
          { path: at, expected: v, actual: `(${error instanceof Error ? error.message : error})`, expression: true },
        ];
      }
      return partialMismatches(v, value, at, true);
    });
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [{ path, expected, actual, expression }];
    return expected.flatMap((item, i) => partialMismatches(item, actual[i], `${path}[${i}]`, expression));
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [{ path, expected, actual, expression }];
}

const show = (v: unknown) => (v === undefined ? '(missing)' : JSON.stringify(v));

/** "- spec.replicas: expected 3, got 1" lines; expression results are left out (the check's message explains them). */
export function describeMismatches(list: Mismatch[], expectedWord: string, gotWord: string): string {
  return list
    .filter((m) => !m.expression)
    .map((m) => `- ${m.path}: ${expectedWord} ${show(m.expected)}, ${gotWord} ${show(m.actual)}`)
    .join('\n');
}

type Obj = Record<string, unknown>;
type Ref = z.infer<typeof objectRef>;

/** "ConfigMap shop/settings", or the kind alone when the check matches any object of it. */
export function describeRef(ref: Ref): string {
  const kind = ref.kind;
  return ref.name ? `${kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}` : kind;
}

/** The candidate objects for a reference: the named one, or every object of the kind. */
export async function findObjects(ctx: GradingContext, ref: Ref): Promise<{ objects: Obj[]; knownKind: boolean }> {
  const paths = new ResourcePaths(ctx.api);
  const located = await paths.path(ref.apiVersion, ref.kind, ref.namespace, ref.name);
  if (!located) return { objects: [], knownKind: false };
  const res = await ctx.api.send('GET', located.path);
  if (res.status === 404) return { objects: [], knownKind: true };
  if (res.status !== 200) throw new Error(`GET ${located.path}: ${res.status} ${res.text.slice(0, 200)}`);
  const body = res.json();
  return { objects: ref.name ? [body] : ((body.items as Obj[]) ?? []), knownKind: true };
}

/** The expected part of a check object: everything except how the object is addressed. */
export function expectedFields(ref: Ref): Obj {
  const { apiVersion: _a, kind: _k, name: _n, namespace: _ns, ...rest } = ref as Obj;
  return rest;
}
