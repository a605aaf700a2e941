import { z } from 'zod';

/**
 * The lab format (labs/<id>/lab.yaml). One schema for the Astro site, the lab server and
 * `labs validate`. Learner-facing strings are given in both locales: { es, en }.
 */
export const localized = z.object({ es: z.string().min(1), en: z.string().min(1) }).strict();
export type Localized = z.infer<typeof localized>;

/** Who a check acts as: a user (with groups) or a ServiceAccount. */
export const subject = z.union([
  z.object({ user: z.string().min(1), groups: z.array(z.string()).optional() }).strict(),
  z.object({ serviceAccount: z.object({ namespace: z.string().min(1), name: z.string().min(1) }).strict() }).strict(),
]);

/** How a check addresses an object; other fields are the expected content. */
export const objectRef = z
  .object({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    name: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
  })
  .passthrough();

/** Fields every check kind accepts. */
export const checkCommon = {
  /** Overrides the generated failure explanation. */
  message: localized.optional(),
  /** Run even when an earlier check failed. */
  independent: z.boolean().optional(),
  /** How long the check may take; checks of converging state retry until then. */
  timeoutSeconds: z.number().int().positive().max(300).optional(),
};

/**
 * A check as the lab format sees it: a kind and the common fields. The fields of each kind are
 * owned by its grader plug-in (server/grading/checks/<kind>.ts), which validates them with its
 * own schema through `labSchemaFor`; the site renders no check fields, so it needs only this.
 */
export const checkEnvelope = z
  .object({
    kind: z.string().regex(/^[a-z][a-z0-9-]*$/, 'check kinds are lowercase words joined by dashes'),
    ...checkCommon,
  })
  .passthrough();
export type Check = z.infer<typeof checkEnvelope>;

export const exercise = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'exercise ids are lowercase words joined by dashes'),
    title: localized,
    /**
     * Where this exercise can be graded, when narrower than the lab's `backends` (an attack that
     * needs real containers in a lab whose defence also runs on the embedded cluster).
     */
    backends: z
      .array(z.enum(['embedded', 'kind']))
      .min(1)
      .optional(),
    checks: z.array(checkEnvelope).min(1, 'every exercise needs at least one check'),
    hints: z.array(localized).min(1, 'every exercise needs at least one hint'),
    solution: z
      .object({
        /** Commands run in the learner's terminal environment, in order. */
        commands: z.array(z.string().min(1)).optional(),
        /** Files written into HOME before the commands (path → content, or a lab file to copy). */
        files: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .refine(
        (s) => (s.commands?.length ?? 0) + Object.keys(s.files ?? {}).length > 0,
        'a solution needs commands or files',
      ),
  })
  .strict();
export type Exercise = z.infer<typeof exercise>;

export const labSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    module: z.string().min(1),
    order: z.number().int().positive().default(1),
    title: localized,
    summary: localized,
    minutes: z.number().int().positive().optional(),
    backends: z.array(z.enum(['embedded', 'kind'])).min(1),
    tools: z.array(z.string().min(1)).default([]),
    addons: z.array(z.enum(['kyverno'])).default([]),
    personas: z
      .array(z.object({ name: z.string().min(1), groups: z.array(z.string()).optional() }).strict())
      .default([]),
    /** Manifests applied when a session starts, relative to the lab folder. */
    setup: z.array(z.string().min(1)).default([]),
    exercises: z.array(exercise).min(1),
  })
  .strict();
export type Lab = z.infer<typeof labSchema>;

/**
 * The lab format with the fields of every check kind validated: the server builds it from its
 * plug-ins' schemas (server/grading/registry.ts), so the site never imports the graders.
 */
export function labSchemaFor(check: z.ZodType<Check>) {
  return labSchema.extend({
    exercises: z
      .array(exercise.extend({ checks: z.array(check).min(1, 'every exercise needs at least one check') }))
      .min(1),
  });
}
