import type { z } from 'zod';
import type { objectRef } from '../../src/contracts/lab.ts';
import { ResourcePaths } from '../kube/resources.ts';
import type { GradingContext } from './types.ts';

/** kuttl/Chainsaw partial matching: every expected field must be present and equal; arrays match element by element. */
export interface Mismatch {
  path: string;
  expected: unknown;
  actual: unknown;
}

export function partialMismatches(expected: unknown, actual: unknown, path = ''): Mismatch[] {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return [{ path: path || '(object)', expected, actual }];
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
      partialMismatches(v, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k),
    );
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [{ path, expected, actual }];
    return expected.flatMap((item, i) => partialMismatches(item, actual[i], `${path}[${i}]`));
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [{ path, expected, actual }];
}

const show = (v: unknown) => (v === undefined ? '(missing)' : JSON.stringify(v));

/** "- spec.replicas: expected 3, got 1" lines. */
export function describeMismatches(list: Mismatch[], expectedWord: string, gotWord: string): string {
  return list.map((m) => `- ${m.path}: ${expectedWord} ${show(m.expected)}, ${gotWord} ${show(m.actual)}`).join('\n');
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
