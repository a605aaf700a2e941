import { z } from 'zod';

/** CKS v1.34 domains: Cluster Setup, Cluster Hardening, System Hardening, Minimize Microservice
 * Vulnerabilities, Supply Chain Security, Monitoring/Logging/Runtime. */
export const cksDomains = ['CS', 'CH', 'SH', 'MMV', 'SCS', 'MLR'] as const;
/** OWASP Kubernetes Top 10 ids (2025 draft K01–K10, plus K02:2022 supply chain). */
export const owaspItems = ['K01', 'K02', 'K03', 'K04', 'K05', 'K06', 'K07', 'K08', 'K09', 'K10', 'K02:2022'] as const;

const coverage = {
  /** CKS domains this module or lesson teaches, for the coverage map. */
  cks: z.array(z.enum(cksDomains)).default([]),
  /** OWASP Kubernetes Top 10 items it addresses. */
  owasp: z.array(z.enum(owaspItems)).default([]),
};

/** Measurable outcomes: "you will be able to …" (2–4 of them). */
const objectives = z.array(z.string().min(1)).min(2).max(4);

/** Frontmatter of a course module (content/<locale>/modules/<slug>.mdx). */
export const moduleSchema = z
  .object({
    title: z.string().min(1),
    description: z.string().min(1),
    /** Position of the module on the course home: M0 is 0. */
    order: z.number().int().min(0),
    /** Minutes a learner needs (reading plus labs), shown on the home page. */
    minutes: z.number().int().positive().optional(),
    objectives: objectives.optional(),
    ...coverage,
    draft: z.boolean().default(false),
  })
  .strict();

export type ModuleFrontmatter = z.infer<typeof moduleSchema>;

/**
 * A quiz question with its answer key: options plus the right index (single choice) or
 * indices (multiple choice), or accepted short answers. `<Quiz id>` renders it; the browser grades it.
 */
export const quizSchema = z
  .object({
    question: z.string().min(1),
    options: z.array(z.string().min(1)).min(2).optional(),
    answer: z.union([z.number().int().min(0), z.array(z.number().int().min(0)).min(1)]).optional(),
    accept: z.array(z.string().min(1)).min(1).optional(),
    /** Why the right answer is right, shown after the learner answers. */
    explanation: z.string().min(1).optional(),
  })
  .strict()
  .refine(
    (q) =>
      q.accept
        ? !q.options && q.answer === undefined
        : !!q.options && q.answer !== undefined && [q.answer].flat().every((i) => i < q.options!.length),
    'a quiz has either options with the right answer index (or indices), or accept with the short answers',
  );
export type Quiz = z.infer<typeof quizSchema>;

/** Frontmatter of a lesson (content/<locale>/lessons/<module>/<slug>.mdx). */
export const lessonSchema = z
  .object({
    title: z.string().min(1),
    description: z.string().min(1),
    /** Position inside its module, starting at 1. */
    order: z.number().int().positive(),
    minutes: z.number().int().positive().optional(),
    /**
     * `lesson` (the default) is held to the writing standard: 700–1,200 words, objectives, a
     * diagram, common mistakes and key points; a `cheatsheet` is the module's one-page summary.
     */
    kind: z.enum(['lesson', 'cheatsheet']).default('lesson'),
    objectives: objectives.optional(),
    /** The lab that practises this lesson (a lab id), linked from the key points. */
    lab: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/)
      .optional(),
    ...coverage,
    /** Quizzes by id; the ids and answer keys are the same in every locale. */
    quizzes: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/), quizSchema).default({}),
  })
  .strict();

export type LessonFrontmatter = z.infer<typeof lessonSchema>;

/** Frontmatter of the bilingual glossary (content/es/glosario.mdx, content/en/glossary.mdx). */
export const glossarySchema = z
  .object({
    title: z.string().min(1),
    description: z.string().min(1),
  })
  .strict();

/** Where each locale's glossary lives: its file name is also its URL (/es/glosario/, /en/glossary/). */
export const glossarySlugs = { es: 'glosario', en: 'glossary' } as const;
