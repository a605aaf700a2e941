import { z } from 'zod';

/**
 * The lab format (labs/<id>/lab.yaml). One schema for the Astro site, the lab server and
 * `labs validate`. Learner-facing strings are given in both locales: { es, en }.
 */
export const localized = z.object({ es: z.string().min(1), en: z.string().min(1) }).strict();
export type Localized = z.infer<typeof localized>;

const subject = z.union([
  z.object({ user: z.string().min(1), groups: z.array(z.string()).optional() }).strict(),
  z.object({ serviceAccount: z.object({ namespace: z.string().min(1), name: z.string().min(1) }).strict() }).strict(),
]);

const objectRef = z
  .object({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    name: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
  })
  .passthrough();

const common = {
  /** Overrides the generated failure explanation. */
  message: localized.optional(),
  /** Run even when an earlier check failed. */
  independent: z.boolean().optional(),
  timeoutSeconds: z.number().int().positive().max(300).optional(),
};

export const assertCheck = z
  .object({
    kind: z.literal('assert'),
    /** Partial object: every field given must match (kuttl/Chainsaw semantics). */
    object: objectRef,
    ...common,
  })
  .strict();

export const absentCheck = z.object({ kind: z.literal('absent'), object: objectRef, ...common }).strict();

export const admissionCheck = z
  .object({
    kind: z.literal('admission'),
    /** A manifest sent with server-side dry-run: inline or a file in the lab folder. */
    manifest: z.union([objectRef, z.string().min(1)]),
    as: subject.optional(),
    expect: z.enum(['denied', 'allowed']),
    messageContains: z.string().optional(),
    ...common,
  })
  .strict();

export const canICheck = z
  .object({
    kind: z.literal('can-i'),
    as: subject,
    verb: z.string().min(1),
    resource: z.string().min(1),
    group: z.string().optional(),
    subresource: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
    expect: z.boolean(),
    ...common,
  })
  .strict();

const fileExpectation = z
  .object({
    /** JSONPath-like: "$.spec.replicas", "$.items[0].kind" */
    path: z.string().min(1),
    equals: z.unknown().optional(),
    matches: z.string().optional(),
    exists: z.boolean().optional(),
  })
  .strict();

export const fileCheck = z
  .object({
    kind: z.literal('file'),
    /** Relative to the learner's HOME. */
    path: z.string().min(1),
    format: z.enum(['text', 'yaml', 'json']).optional(),
    matches: z.string().optional(),
    expect: z.array(fileExpectation).optional(),
    trivyReport: z
      .object({
        image: z.string().min(1),
        severityCounts: z
          .partialRecord(z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN']), z.number().int().min(0))
          .optional(),
      })
      .strict()
      .optional(),
    /** Graded with a Dockerfile parser: stages, final base image, USER, tags. */
    dockerfile: z
      .object({
        minStages: z.number().int().positive().optional(),
        nonRootUser: z.boolean().optional(),
        noLatest: z.boolean().optional(),
        /** Final-stage base images that are not allowed (full distributions). */
        finalBaseNot: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    ...common,
  })
  .strict();

export const commandCheck = z
  .object({
    kind: z.literal('command'),
    /** Regular expression matched against each logged command line. */
    pattern: z.string().min(1),
    exitCode: z.number().int().optional(),
    ...common,
  })
  .strict();

export const scriptCheck = z
  .object({
    kind: z.literal('script'),
    /** Runs with bash in the session's environment; exit 0 passes. */
    run: z.string().min(1),
    ...common,
  })
  .strict();

export const check = z.discriminatedUnion('kind', [
  assertCheck,
  absentCheck,
  admissionCheck,
  canICheck,
  fileCheck,
  commandCheck,
  scriptCheck,
]);
export type Check = z.infer<typeof check>;
export const checkKinds = ['assert', 'absent', 'admission', 'can-i', 'file', 'command', 'script'] as const;

export const exercise = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'exercise ids are lowercase words joined by dashes'),
    title: localized,
    checks: z.array(check).min(1, 'every exercise needs at least one check'),
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
