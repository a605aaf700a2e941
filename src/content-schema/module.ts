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

/** Frontmatter of a lesson (content/<locale>/lessons/<module>/<slug>.mdx). */
export const lessonSchema = z
  .object({
    title: z.string().min(1),
    description: z.string().min(1),
    /** Position inside its module, starting at 1. */
    order: z.number().int().positive(),
    minutes: z.number().int().positive().optional(),
  })
  .strict();

export type LessonFrontmatter = z.infer<typeof lessonSchema>;
