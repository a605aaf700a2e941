import { describe, expect, it } from 'vitest';
import { countWords, lessonFiles, prose, spanishTexts } from '../helpers/prose.ts';

/**
 * The writing standard (../shared/course/style.md) for every lesson of every module, in both
 * locales: 700–1,200 words of prose, 2–4 objectives, a diagram with alt text, a common-mistakes
 * box, a key-points recap, and quizzes that explain their answer.
 */

// Every lesson of every module is held to the standard: there is no allowlist.
const lessons = lessonFiles().filter((l) => (l.frontmatter.kind ?? 'lesson') === 'lesson');

describe('every lesson meets the writing standard', () => {
  it('prints the prose word count of each lesson', () => {
    const rows = lessons.map((l) => `${l.locale}/${l.module}/${l.slug}: ${countWords(prose(l.body))} words`);
    const modules = new Set(lessons.map((l) => l.module));
    console.log(rows.sort().join('\n'));
    console.log(`${lessons.length} lesson pages (es and en) in ${modules.size} modules, all held to the standard`);
    expect(lessons.length).toBeGreaterThan(0);
  });

  for (const lesson of lessons) {
    const name = `${lesson.locale}/${lesson.module}/${lesson.slug}`;
    it(`${name}: 700–1,200 words, objectives, diagram, mistakes, key points, explained quizzes`, () => {
      const words = countWords(prose(lesson.body));
      expect(words, `${name} has ${words} words of prose`).toBeGreaterThanOrEqual(700);
      expect(words, `${name} has ${words} words of prose`).toBeLessThanOrEqual(1200);
      const objectives = lesson.frontmatter.objectives as unknown[] | undefined;
      expect(objectives?.length ?? 0, `${name}: objectives`).toBeGreaterThanOrEqual(2);
      expect(objectives?.length ?? 0, `${name}: objectives`).toBeLessThanOrEqual(4);
      expect(lesson.body, `${name}: a <Figure alt="…"> with an inline <svg>`).toMatch(
        /<Figure\s[^>]*alt="[^"]{10,}"[\s\S]*?<svg\b[\s\S]*?<\/Figure>/,
      );
      expect(lesson.body, `${name}: a <Mistakes> box`).toMatch(/<Mistakes>[\s\S]+?<\/Mistakes>/);
      expect(lesson.body, `${name}: a <KeyPoints> recap`).toMatch(/<KeyPoints>[\s\S]+?<\/KeyPoints>/);
      const quizzes = (lesson.frontmatter.quizzes ?? {}) as Record<string, { explanation?: string }>;
      expect(Object.keys(quizzes).length, `${name}: at least one quiz`).toBeGreaterThan(0);
      for (const [id, quiz] of Object.entries(quizzes)) {
        expect(quiz.explanation, `${name}: quiz ${id} explains its answer`).toBeTruthy();
        expect(lesson.body, `${name}: quiz ${id} is placed in the lesson`).toContain(`<Quiz id="${id}"`);
      }
    });
  }

  it('both locales have the same lessons with the same objectives count', () => {
    const key = (l: (typeof lessons)[number]) => `${l.module}/${l.slug}`;
    const es = new Map(lessons.filter((l) => l.locale === 'es').map((l) => [key(l), l]));
    const en = new Map(lessons.filter((l) => l.locale === 'en').map((l) => [key(l), l]));
    expect([...es.keys()].sort()).toEqual([...en.keys()].sort());
    for (const [k, l] of es) {
      const other = en.get(k)!;
      expect((l.frontmatter.objectives as unknown[] | undefined)?.length, k).toBe(
        (other.frontmatter.objectives as unknown[] | undefined)?.length,
      );
      expect(l.frontmatter.lab, k).toBe(other.frontmatter.lab);
    }
  });
});

/** Spanish terms the glossary rules out (style.md, "Language"). */
const forbidden: { pattern: RegExp; use: string }[] = [
  { pattern: /\bencript\w*/giu, use: 'cifrar / cifrado' },
  { pattern: /\bdesencript\w*/giu, use: 'descifrar' },
  { pattern: /\bescane\w*/giu, use: 'analizar / análisis de vulnerabilidades' },
  { pattern: /\bsete(ar|a|as|ado|ada|amos|an)\b/giu, use: 'establecer / asignar / configurar' },
  { pattern: /\bdeploy(ar|a|as|ado|ada|amos|an|é)\b/giu, use: 'desplegar' },
  // The glossary's term for "default deny"; half-English "deny por defecto" crept into lab titles.
  { pattern: /\bdeny por defecto\b/giu, use: 'denegación por defecto' },
];

describe('Spanish terminology lint', () => {
  const texts = spanishTexts();
  it('covers every Spanish page: lessons, modules, the glossary and every lab', () => {
    const where = texts.map((t) => t.where);
    expect(where).toContain('content/es/glosario.mdx');
    expect(where.filter((w) => w.startsWith('content/es/lessons/')).length).toBe(
      lessonFiles().filter((l) => l.locale === 'es').length,
    );
    expect(where.filter((w) => w.endsWith('lab.es.mdx')).length).toBeGreaterThan(0);
  });

  it('forbids the words the glossary rules out in Spanish text (inline code is exempt)', () => {
    const hits: string[] = [];
    for (const { where, text } of texts) {
      const words = text.replace(/`[^`]*`/g, ' ');
      for (const { pattern, use } of forbidden) {
        for (const m of words.matchAll(pattern)) hits.push(`${where}: "${m[0]}" → ${use}`);
      }
    }
    expect(hits).toEqual([]);
  });

  it('catches a forbidden word when it appears', () => {
    const sample =
      'Vamos a escanear la imagen y encriptar el Secret con un deny por defecto; el `escaneo` entre comillas no cuenta.';
    const found = forbidden.flatMap(({ pattern }) =>
      [...sample.replace(/`[^`]*`/g, ' ').matchAll(pattern)].map((m) => m[0]),
    );
    expect(found).toEqual(['encriptar', 'escanear', 'deny por defecto']);
  });
});
