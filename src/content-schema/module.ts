import { z } from 'zod';

/** Locales the course is written in; Spanish is the default. */
export const locales = ['es', 'en'] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = 'es';

/** Frontmatter of a course module (content/<locale>/modules/<slug>.mdx). */
export const moduleSchema = z
  .object({
    title: z.string().min(1),
    description: z.string().min(1),
    /** Position of the module on the course home, starting at 1. */
    order: z.number().int().positive(),
    /** Minutes a learner needs, shown on the home page. */
    minutes: z.number().int().positive().optional(),
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
    /** Quizzes by id; the ids and answer keys are the same in every locale. */
    quizzes: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/), quizSchema).default({}),
  })
  .strict();

export type LessonFrontmatter = z.infer<typeof lessonSchema>;
