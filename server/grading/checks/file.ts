import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { evaluateJsonPath } from '../../kube/jsonpath.ts';
import { readHomeFile } from '../home-files.ts';
import { defineCheck } from '../plugin.ts';

const expectation = z
  .object({
    /** JSONPath-like: "$.spec.replicas", "$.items[0].kind" */
    path: z.string().min(1),
    equals: z.unknown().optional(),
    matches: z.string().optional(),
    exists: z.boolean().optional(),
  })
  .strict();

/** A file in the learner's HOME exists, matches a regular expression, and has the values given at paths. */
export default defineCheck({
  kind: 'file',
  schema: z.object({
    kind: z.literal('file'),
    /** Relative to the learner's HOME. */
    path: z.string().min(1),
    format: z.enum(['text', 'yaml', 'json']).optional(),
    matches: z.string().optional(),
    expect: z.array(expectation).optional(),
  }),
  messages: {
    es: {
      missing: 'No encuentro el archivo {path}.',
      unparsable: 'El archivo {path} no es {format} válido: {error}',
      noMatch: 'El archivo {path} todavía no contiene lo que pide el ejercicio.',
      matchesExpected: 'el valor que pide el ejercicio',
      expect: 'En {path}, {field}: se esperaba {expected} y hay {actual}.',
      exists: 'que exista',
      notExists: 'que no exista',
      pass: 'El archivo {path} es correcto.',
    },
    en: {
      missing: 'The file {path} was not found.',
      unparsable: 'The file {path} is not valid {format}: {error}',
      noMatch: 'The file {path} does not contain what the exercise asks for yet.',
      matchesExpected: 'the value the exercise asks for',
      expect: 'In {path}, {field}: expected {expected}, found {actual}.',
      exists: 'a value',
      notExists: 'nothing',
      pass: 'The file {path} is correct.',
    },
  },
  async run(check, ctx, say) {
    const text = await readHomeFile(ctx, check.path);
    if (text === undefined) return { passed: false, message: say('missing', { path: check.path }) };
    if (check.matches && !new RegExp(check.matches, 'm').test(text)) {
      return { passed: false, message: say('noMatch', { path: check.path }) };
    }
    const format = check.format ?? (check.expect ? (check.path.endsWith('.json') ? 'json' : 'yaml') : 'text');
    if (format === 'text') return { passed: true, message: say('pass', { path: check.path }) };
    let data: unknown;
    try {
      data = format === 'json' ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      return {
        passed: false,
        message: say('unparsable', {
          path: check.path,
          format: format.toUpperCase(),
          error: error instanceof Error ? error.message.split('\n')[0]! : String(error),
        }),
      };
    }
    for (const e of check.expect ?? []) {
      const values = evaluateJsonPath(data, e.path);
      const actual = values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
      let ok = true;
      let expectedText = '';
      if (e.exists !== undefined) {
        ok = e.exists === (actual !== undefined);
        expectedText = say(e.exists ? 'exists' : 'notExists');
      }
      if (ok && e.equals !== undefined) {
        ok = JSON.stringify(actual) === JSON.stringify(e.equals) || String(actual) === String(e.equals);
        expectedText = JSON.stringify(e.equals);
      }
      if (ok && e.matches !== undefined) {
        ok =
          actual !== undefined &&
          new RegExp(e.matches).test(typeof actual === 'string' ? actual : JSON.stringify(actual));
        expectedText = say('matchesExpected'); // never the regular expression itself
      }
      if (!ok) {
        return {
          passed: false,
          message: say('expect', {
            path: check.path,
            field: e.path,
            expected: expectedText,
            actual: actual === undefined ? '—' : JSON.stringify(actual),
          }),
        };
      }
    }
    return { passed: true, message: say('pass', { path: check.path }) };
  },
});
