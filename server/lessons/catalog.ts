import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lessonSchema, type Quiz } from '../../src/contracts/content.ts';
import { locales, type Locale } from '../../src/contracts/locales.ts';
import { parseFrontmatter } from './frontmatter.ts';

/** One lesson as the lab server knows it: its quizzes with their answer keys, per locale. */
export interface CatalogLesson {
  module: string;
  lesson: string;
  quizzes: Partial<Record<Locale, Record<string, Quiz>>>;
}

export type LessonCatalog = Map<string, CatalogLesson>;

export const lessonKey = (module: string, lesson: string) => `${module}/${lesson}`;

/**
 * Reads the lessons' frontmatter from the course content (content/<locale>/lessons/<module>/<slug>.mdx),
 * the same files and schema the site is built from. The answer keys stay on the server: the built
 * pages never carry them. A lesson that fails the schema is reported and skipped.
 */
export async function loadLessons(contentDir: string): Promise<LessonCatalog> {
  const catalog: LessonCatalog = new Map();
  for (const locale of locales) {
    const root = join(contentDir, locale, 'lessons');
    if (!existsSync(root)) continue;
    for (const module of (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory())) {
      for (const file of await readdir(join(root, module.name))) {
        const m = /^([a-z0-9][a-z0-9-]*)\.mdx?$/.exec(file);
        if (!m) continue;
        const path = join(root, module.name, file);
        let raw: unknown;
        try {
          raw = parseFrontmatter(await readFile(path, 'utf8'));
        } catch (error) {
          console.error(`lesson ${path} skipped: its frontmatter is not YAML: ${String(error).split('\n')[0]}`);
          continue;
        }
        const parsed = lessonSchema.safeParse(raw);
        if (!parsed.success) {
          console.error(`lesson ${path} skipped: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
          continue;
        }
        const key = lessonKey(module.name, m[1]!);
        const entry = catalog.get(key) ?? { module: module.name, lesson: m[1]!, quizzes: {} };
        entry.quizzes[locale] = parsed.data.quizzes;
        catalog.set(key, entry);
      }
    }
  }
  return catalog;
}
