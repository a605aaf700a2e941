import { z } from 'zod';
import { assertionTree, describeRef, expectedFields, findObjects, partialMismatches } from '../object-match.ts';
import { defineCheck } from '../plugin.ts';

/** No object matches the reference (and its fields, when given); eventually. */
export default defineCheck({
  kind: 'absent',
  schema: z.object({ kind: z.literal('absent'), object: assertionTree }),
  messages: {
    es: {
      present: '{what} todavía existe y debería haberse eliminado.',
      pass: '{what} no existe, como se espera.',
      presentMatching: 'Todavía hay un objeto {what} que coincide y debería haberse eliminado.',
      passMatching: 'Ningún objeto {what} coincide, como se espera.',
    },
    en: {
      present: '{what} still exists and should be gone.',
      pass: '{what} does not exist, as expected.',
      presentMatching: 'A matching {what} still exists and should be gone.',
      passMatching: 'No {what} matches, as expected.',
    },
  },
  eventually: true,
  async run(check, ctx, say) {
    const what = describeRef(check.object);
    const { objects } = await findObjects(ctx, check.object);
    const expected = expectedFields(check.object);
    const present = objects.some((o) => partialMismatches(expected, o).length === 0);
    // Without a name the reference selects by fields: "ClusterRoleBinding does not exist" would
    // read as if there were none at all.
    const matching = check.object.name ? '' : 'Matching';
    return present
      ? { passed: false, message: say(`present${matching}`, { what }) }
      : { passed: true, message: say(`pass${matching}`, { what }) };
  },
});
