import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { locales, type Locale } from '../../src/contracts/locales.ts';
import { parseFrontmatter } from '../lessons/frontmatter.ts';

/** A module's title in a locale (its id when the content has none). */
export type ModuleTitles = (module: string, locale: Locale) => string;

/** The `title` of a Markdown/MDX file's YAML front matter, if it has one. */
function frontMatterTitle(text: string): string | undefined {
  const data = parseFrontmatter(text);
  const title = data && typeof data === 'object' ? (data as Record<string, unknown>).title : undefined;
  return typeof title === 'string' && title.trim() ? title.trim() : undefined;
}

/** Reads content/<locale>/modules/<module>.mdx titles once (the course's own files, not learner input). */
export async function loadModuleTitles(contentDir: string): Promise<ModuleTitles> {
  const titles = new Map<string, string>();
  for (const locale of locales) {
    const dir = join(contentDir, locale, 'modules');
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const file of files) {
      const m = /^([a-z0-9-]+)\.mdx?$/.exec(file);
      if (!m) continue;
      const title = frontMatterTitle(await readFile(join(dir, file), 'utf8'));
      if (title) titles.set(`${locale}/${m[1]}`, title);
    }
  }
  return (module, locale) => titles.get(`${locale}/${module}`) ?? module;
}
