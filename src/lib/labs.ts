import { getCollection, type CollectionEntry } from 'astro:content';
import type { Locale } from '../i18n/ui.ts';

export type LabEntry = CollectionEntry<'labs'>;

/** Entry ids look like "security-basics/lab". */
export function labId(entry: LabEntry): string {
  return entry.data.id;
}

export async function allLabs(): Promise<LabEntry[]> {
  return (await getCollection('labs')).sort(
    (a, b) => a.data.module.localeCompare(b.data.module) || a.data.order - b.data.order,
  );
}

export async function labsOfModule(module: string): Promise<LabEntry[]> {
  return (await allLabs()).filter((l) => l.data.module === module);
}

/** The instructions of a lab in one locale (found by file path: entry ids are slugified). */
export async function labInstructions(id: string, locale: Locale) {
  const all = await getCollection('labInstructions');
  return all.find((e) => (e.filePath ?? '').endsWith(`${id}/lab.${locale}.mdx`));
}
