import { z } from 'zod';
import {
  assertionTree,
  describeMismatches,
  describeRef,
  expectedFields,
  findObjects,
  partialMismatches,
} from '../object-match.ts';
import { defineCheck } from '../plugin.ts';

/** The object exists and contains every field given (kuttl/Chainsaw partial match); eventually. */
export default defineCheck({
  kind: 'assert',
  schema: z.object({
    kind: z.literal('assert'),
    /** Partial object: every field given must match (kuttl/Chainsaw semantics). */
    object: assertionTree,
  }),
  messages: {
    es: {
      missing: 'No existe {what}.',
      none: 'No hay ningún {kind} que coincida en {where}.',
      mismatch: '{what} no tiene lo esperado:',
      pass: '{what} está como se espera.',
      expected: 'se esperaba',
      got: 'hay',
    },
    en: {
      missing: '{what} does not exist.',
      none: 'No {kind} matches in {where}.',
      mismatch: '{what} is not as expected:',
      pass: '{what} is as expected.',
      expected: 'expected',
      got: 'got',
    },
  },
  eventually: true,
  async run(check, ctx, say) {
    const what = describeRef(check.object);
    const { objects } = await findObjects(ctx, check.object);
    if (objects.length === 0) {
      return {
        passed: false,
        message: check.object.name
          ? say('missing', { what })
          : say('none', { kind: check.object.kind, where: check.object.namespace ?? 'default' }),
      };
    }
    const expected = expectedFields(check.object);
    let closest: ReturnType<typeof partialMismatches> | undefined;
    for (const object of objects) {
      const mismatches = partialMismatches(expected, object);
      if (mismatches.length === 0) return { passed: true, message: say('pass', { what }) };
      if (!closest || mismatches.length < closest.length) closest = mismatches;
    }
    const diff = describeMismatches(closest ?? [], say('expected'), say('got'));
    return {
      passed: false,
      message: say('mismatch', { what }),
      ...(diff ? { diff } : {}),
    };
  },
});
