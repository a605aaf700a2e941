import type { z } from 'zod';
import type { absentCheck, assertCheck } from '../../../src/contracts/lab.ts';
import { ResourcePaths } from '../../kube/resources.ts';
import { message } from '../messages.ts';
import type { CheckRunner, GradingContext } from '../types.ts';
import { describeMismatches, partialMismatches } from './object-match.ts';

type Obj = Record<string, unknown>;
type Ref = z.infer<typeof assertCheck>['object'];

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
function expectedFields(ref: Ref): Obj {
  const { apiVersion: _a, kind: _k, name: _n, namespace: _ns, ...rest } = ref as Obj;
  return rest;
}

export const runAssert: CheckRunner<z.infer<typeof assertCheck>> = async (check, ctx) => {
  const what = describeRef(check.object);
  const { objects } = await findObjects(ctx, check.object);
  if (objects.length === 0) {
    return {
      passed: false,
      message: check.object.name
        ? message(ctx.locale, 'assert.missing', { what })
        : message(ctx.locale, 'assert.none', { kind: check.object.kind, where: check.object.namespace ?? 'default' }),
    };
  }
  const expected = expectedFields(check.object);
  let closest: ReturnType<typeof partialMismatches> | undefined;
  for (const object of objects) {
    const mismatches = partialMismatches(expected, object);
    if (mismatches.length === 0) return { passed: true, message: message(ctx.locale, 'assert.pass', { what }) };
    if (!closest || mismatches.length < closest.length) closest = mismatches;
  }
  const words = ctx.locale === 'es' ? ['se esperaba', 'hay'] : ['expected', 'got'];
  return {
    passed: false,
    message: message(ctx.locale, 'assert.mismatch', { what }),
    diff: describeMismatches(closest ?? [], words[0]!, words[1]!),
  };
};

export const runAbsent: CheckRunner<z.infer<typeof absentCheck>> = async (check, ctx) => {
  const what = describeRef(check.object);
  const { objects } = await findObjects(ctx, check.object);
  const expected = expectedFields(check.object);
  const present = objects.some((o) => partialMismatches(expected, o).length === 0);
  return present
    ? { passed: false, message: message(ctx.locale, 'absent.present', { what }) }
    : { passed: true, message: message(ctx.locale, 'absent.pass', { what }) };
};
