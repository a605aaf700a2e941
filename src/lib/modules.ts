import { getCollection, type CollectionEntry } from 'astro:content';
import type { Locale } from '../i18n/ui.ts';

export type ModuleEntry = CollectionEntry<'modules'>;

/** Entry ids look like "es/modules/threat-model"; the slug is the last part. */
export function moduleSlug(entry: ModuleEntry): string {
  return entry.id.split('/').at(-1) ?? entry.id;
}

export function moduleLocale(entry: ModuleEntry): string {
  return entry.id.split('/')[0] ?? '';
}

/** Published modules of one locale, in course order. */
export async function modulesFor(locale: Locale): Promise<ModuleEntry[]> {
  const all = await getCollection('modules', (entry) => moduleLocale(entry) === locale && !entry.data.draft);
  return all.sort((a, b) => a.data.order - b.data.order);
}

export type LessonEntry = CollectionEntry<'lessons'>;

/** Lesson ids look like "es/lessons/image-security/trivy": locale, module, slug. */
export function lessonParts(entry: LessonEntry): { locale: string; module: string; slug: string } {
  const [locale = '', , module = '', slug = ''] = entry.id.split('/');
  return { locale, module, slug };
}

/** Lessons of one module in one locale, in order. */
export async function lessonsOf(locale: Locale, module: string): Promise<LessonEntry[]> {
  const all = await getCollection(
    'lessons',
    (e) => lessonParts(e).locale === locale && lessonParts(e).module === module,
  );
  return all.sort((a, b) => a.data.order - b.data.order);
}
