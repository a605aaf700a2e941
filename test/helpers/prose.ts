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

/** A piece of learner-facing Spanish text and where it comes from, for the terminology lint. */
export interface SpanishText {
  where: string;
  text: string;
}

function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/**
 * Every Spanish text learners read: each content/es MDX file (prose and frontmatter strings:
 * titles, objectives, quizzes), each lab's lab.es.mdx, and the `es` strings of every lab.yaml.
 */
export function spanishTexts(root = projectRoot): SpanishText[] {
  const texts: SpanishText[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.mdx') ? [join(dir, e.name)] : [],
    );
  for (const path of walk(join(root, 'content', 'es'))) {
    const { frontmatter, body } = splitFrontmatter(readFileSync(path, 'utf8'));
    texts.push({ where: path.slice(root.length + 1), text: [prose(body), ...stringsIn(frontmatter)].join('\n') });
  }
  const labs = join(root, 'labs');
  for (const lab of readdirSync(labs)) {
    const mdx = join(labs, lab, 'lab.es.mdx');
    if (existsSync(mdx))
      texts.push({ where: `labs/${lab}/lab.es.mdx`, text: prose(splitFrontmatter(readFileSync(mdx, 'utf8')).body) });
    const yaml = join(labs, lab, 'lab.yaml');
    if (!existsSync(yaml)) continue;
    const es: string[] = [];
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if (k === 'es' && typeof v === 'string') es.push(v);
          else collect(v);
        }
      }
    };
    collect(parse(readFileSync(yaml, 'utf8')));
    texts.push({ where: `labs/${lab}/lab.yaml`, text: es.join('\n') });
  }
  return texts;
}
