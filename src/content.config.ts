import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { moduleSchema } from './content-schema/module.ts';

// COURSE_CONTENT_DIR lets tests point the build at fixture content.
const contentDir = process.env.COURSE_CONTENT_DIR ?? './content';

export const collections = {
  modules: defineCollection({
    loader: glob({ pattern: '*/modules/*.{md,mdx}', base: contentDir }),
    schema: moduleSchema,
  }),
};
