import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { uiStrings } from '../../src/i18n/ui.ts';
import { glossarySlugs, type Quiz } from '../../src/contracts/content.ts';
import { distDir, projectRoot } from '../helpers/project.ts';

function files(dir: string, filter: (f: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile() && filter(f))
    .sort();
}

/** The one file whose name is translated: the glossary (content/es/glosario.mdx ↔ content/en/glossary.mdx). */
const inEnglish = (path: string) => path.replace(new RegExp(`^${glossarySlugs.es}(?=[/.])`), glossarySlugs.en);

describe('both locales are complete', () => {
  it('have the same UI strings, none empty', () => {
    expect(Object.keys(uiStrings.en).sort()).toEqual(Object.keys(uiStrings.es).sort());
    for (const locale of ['es', 'en'] as const) {
      for (const [key, value] of Object.entries(uiStrings[locale]))
        expect(value.trim(), `${locale} ${key}`).not.toBe('');
    }
    const same = Object.keys(uiStrings.es).filter(
      (k) =>
        uiStrings.es[k as keyof typeof uiStrings.es] === uiStrings.en[k as keyof typeof uiStrings.en] &&
        !/\{n\}/.test(uiStrings.es[k as keyof typeof uiStrings.es]),
    );
    // Words that are the same in both languages.
    const identical = ['lab.terminal', 'account.certificatePdf'];
    expect(
      same.filter((k) => !identical.includes(k)),
      'strings left untranslated',
    ).toEqual([]);
  });

  it('have the same pages in the built site', () => {
    const es = files(join(distDir, 'es'), (f) => f.endsWith('.html'));
    const en = files(join(distDir, 'en'), (f) => f.endsWith('.html'));
    expect(es.length).toBeGreaterThan(5);
    expect(en).toEqual(es.map(inEnglish).sort());
    for (const page of es) {
      const a = readFileSync(join(distDir, 'es', page), 'utf8');
      const b = readFileSync(join(distDir, 'en', inEnglish(page)), 'utf8');
      expect(a, page).toContain('<html lang="es"');
      expect(b, page).toContain('<html lang="en"');
      expect(a.replace(/<[^>]+>/g, ''), `${page} has the same text in both locales`).not.toBe(
        b.replace(/<[^>]+>/g, ''),
      );
    }
  });

  it('have the same modules, lessons and quizzes', () => {
    const content = join(projectRoot, 'content');
    const es = files(join(content, 'es'), (f) => f.endsWith('.mdx'));
    expect(files(join(content, 'en'), (f) => f.endsWith('.mdx'))).toEqual(es.map(inEnglish).sort());
    for (const file of es) {
      const quizIds = (text: string) => [...text.matchAll(/<Quiz\s+id="([^"]+)"/g)].map((m) => m[1]).sort();
      const esText = readFileSync(join(content, 'es', file), 'utf8');
      const enText = readFileSync(join(content, 'en', inEnglish(file)), 'utf8');
      expect(quizIds(enText), file).toEqual(quizIds(esText));
      expect(enText, file).not.toBe(esText);
      // The answer keys live in the frontmatter: same ids and answers, translated questions.
      const quizzesOf = (text: string) =>
        (parseYaml(text.split('\n---\n')[0]!.replace(/^---\n/, '')) as { quizzes?: Record<string, Quiz> }).quizzes ??
        {};
      const [esQuizzes, enQuizzes] = [quizzesOf(esText), quizzesOf(enText)];
      expect(Object.keys(esQuizzes).sort(), file).toEqual(quizIds(esText));
      for (const [id, esQuiz] of Object.entries(esQuizzes)) {
        const enQuiz = enQuizzes[id]!;
        expect(enQuiz.answer, `${file} ${id}`).toEqual(esQuiz.answer);
        expect(enQuiz.accept, `${file} ${id}`).toEqual(esQuiz.accept);
        expect(enQuiz.options?.length, `${file} ${id}`).toBe(esQuiz.options?.length);
        expect(enQuiz.question, `${file} ${id}`).not.toBe(esQuiz.question);
      }
    }
  });

  it('give every lab title, summary, exercise title and hint in both languages, translated', () => {
    for (const file of files(join(projectRoot, 'labs'), (f) => f.endsWith('lab.yaml'))) {
      const lab = parseYaml(readFileSync(join(projectRoot, 'labs', file), 'utf8')) as {
        title: { es: string; en: string };
        summary: { es: string; en: string };
        exercises: Array<{ id: string; title: { es: string; en: string } }>;
      };
      for (const [where, text] of [
        ['title', lab.title],
        ['summary', lab.summary],
        ...lab.exercises.map((e) => [`exercise ${e.id}`, e.title] as const),
      ] as const) {
        expect(text.es, `${file} ${where}`).not.toBe(text.en);
      }
    }
  });
});

describe('page weight', () => {
  const scriptsOf = (html: string) => [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
  const bytes = (src: string) => statSync(join(distDir, src)).size;
  const inlineBytes = (html: string) =>
    [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].reduce(
      (n, m) => n + Buffer.byteLength(m[1]!),
      0,
    );
  it('lesson pages ship less than 100 KB of JavaScript and never the terminal bundle', () => {
    const lessons = files(join(distDir, 'es', 'modules'), (f) => f.endsWith('index.html'));
    expect(lessons.length).toBeGreaterThan(3);
    for (const page of lessons) {
      const html = readFileSync(join(distDir, 'es', 'modules', page), 'utf8');
      const total = scriptsOf(html).reduce((n, src) => n + bytes(src), 0) + inlineBytes(html);
      expect(total, relative(distDir, page)).toBeLessThan(100 * 1024);
      expect(html).not.toContain('xterm');
    }
  });
  /** Bytes of a page's JavaScript: its scripts, every module they import, and inline scripts. */
  const pageJs = (html: string) => {
    const seen = new Set<string>();
    const walk = (src: string): void => {
      if (seen.has(src)) return;
      seen.add(src);
      const js = readFileSync(join(distDir, src), 'utf8');
      for (const m of js.matchAll(/(?:from|import)\s*\(?["'](\.\/[^"']+|\/_astro\/[^"']+)["']/g))
        walk(m[1]!.startsWith('./') ? join(dirname(src), m[1]!) : m[1]!);
    };
    for (const src of scriptsOf(html)) walk(src);
    return [...seen].reduce((n, src) => n + bytes(src), 0) + inlineBytes(html);
  };
  it('lesson pages ship only the quiz and copy scripts (a few KB), lab pages at most 360 KB', () => {
    const lessons = files(join(distDir, 'es', 'modules'), (f) => f.split('/').length === 3 && f.endsWith('index.html'));
    expect(lessons.length).toBeGreaterThan(10);
    for (const page of lessons) {
      const total = pageJs(readFileSync(join(distDir, 'es', 'modules', page), 'utf8'));
      expect(total, page).toBeLessThan(6 * 1024);
    }
    const lab = pageJs(readFileSync(join(distDir, 'es', 'labs', 'security-basics', 'index.html'), 'utf8'));
    console.log(`lab page JavaScript: ${Math.round(lab / 1024)} KB uncompressed`);
    expect(lab).toBeLessThanOrEqual(360 * 1024);
  });
  it('the lab page loads the terminal bundle', () => {
    const html = readFileSync(join(distDir, 'es', 'labs', 'trusted-registries', 'index.html'), 'utf8');
    const total = scriptsOf(html).reduce((n, src) => n + bytes(src), 0);
    expect(total).toBeGreaterThan(100 * 1024);
  });
});

describe('runnable commands in the built site', () => {
  it('keep plain ASCII dashes and quotes, so a copied command runs as written', () => {
    const pages = files(distDir, (f) => f.endsWith('.html'));
    const commands = pages.flatMap((page) =>
      [...readFileSync(join(distDir, page), 'utf8').matchAll(/data-command="([^"]*)"/g)].map((m) => ({
        page,
        command: m[1] ?? '',
      })),
    );
    expect(commands.length).toBeGreaterThan(20);
    const mangled = commands.filter(({ command }) => /[\u2013\u2014\u2018\u2019\u201c\u201d]/.test(command));
    expect(mangled).toEqual([]);
    expect(commands.some(({ command }) => command.includes('--dry-run=server'))).toBe(true);
  });
});
