import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from './project.ts';

export interface LessonFile {
  locale: string;
  module: string;
  slug: string;
  path: string;
  frontmatter: Record<string, unknown>;
  body: string;
}

/** Every lesson MDX file under content/<locale>/lessons/<module>/<slug>.mdx. */
export function lessonFiles(contentDir = join(projectRoot, 'content')): LessonFile[] {
  const files: LessonFile[] = [];
  for (const locale of readdirSync(contentDir)) {
    const lessonsDir = join(contentDir, locale, 'lessons');
    if (!existsSync(lessonsDir)) continue;
    for (const module of readdirSync(lessonsDir)) {
      for (const name of readdirSync(join(lessonsDir, module))) {
        if (!name.endsWith('.mdx')) continue;
        const path = join(lessonsDir, module, name);
        const { frontmatter, body } = splitFrontmatter(readFileSync(path, 'utf8'));
        files.push({ locale, module, slug: name.replace(/\.mdx$/, ''), path, frontmatter, body });
      }
    }
  }
  return files;
}

export function splitFrontmatter(text: string): { frontmatter: Record<string, unknown>; body: string } {
  const match = /^---\n([\s\S]*?)\n---\n?/.exec(text);
  if (!match) return { frontmatter: {}, body: text };
  return { frontmatter: (parse(match[1]!) ?? {}) as Record<string, unknown>, body: text.slice(match[0].length) };
}

/**
 * The prose of an MDX body: without fenced code, <Command> blocks, inline SVG and tags, the way
 * the writing standard counts words ("prose words, excluding frontmatter, code and <Command>").
 */
export function prose(body: string): string {
  return body
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, ' ')
    .replace(/<Command\b[\s\S]*?<\/Command>/g, ' ')
    .replace(/<svg\b[\s\S]*?<\/svg>/g, ' ')
    .replace(/<Quiz\b[^>]*\/>/g, ' ')
    .replace(/<\/?[A-Za-z][^>]*>/g, ' ')
    .replace(/^import .*$/gm, ' ');
}

/** Words: runs of letters or digits (inline code counts as the words it contains). */
export function countWords(text: string): number {
  return text.match(/[\p{L}\p{N}][\p{L}\p{N}'’._/-]*/gu)?.length ?? 0;
}
