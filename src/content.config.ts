import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { z } from 'astro/zod';
import { labSchema } from './contracts/lab.ts';
import { glossarySchema, lessonSchema, moduleSchema } from './contracts/content.ts';

// COURSE_CONTENT_DIR and COURSE_LABS_DIR let tests point the build at fixture content.
const contentDir = process.env.COURSE_CONTENT_DIR ?? './content';
const labsDir = process.env.COURSE_LABS_DIR ?? './labs';

export const collections = {
  modules: defineCollection({
    loader: glob({ pattern: '*/modules/*.{md,mdx}', base: contentDir }),
    schema: moduleSchema,
  }),
  lessons: defineCollection({
    loader: glob({ pattern: '*/lessons/*/*.{md,mdx}', base: contentDir }),
    schema: lessonSchema,
  }),
  /** The bilingual glossary: content/es/glosario.mdx and content/en/glossary.mdx. */
  glossary: defineCollection({
    loader: glob({ pattern: '{es/glosario,en/glossary}.{md,mdx}', base: contentDir }),
    schema: glossarySchema,
  }),
  /** labs/<id>/lab.yaml: the same schema the lab server and `labs validate` use. */
  labs: defineCollection({
    loader: glob({ pattern: '*/lab.yaml', base: labsDir }),
    schema: labSchema,
  }),
  /** labs/<id>/lab.<locale>.mdx: the instructions learners read. */
  labInstructions: defineCollection({
    loader: glob({ pattern: '*/lab.*.mdx', base: labsDir }),
    schema: z.object({ title: z.string().min(1) }).strict(),
  }),
};
