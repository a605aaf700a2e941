import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadLessons } from '../../server/lessons/catalog.ts';
import { projectRoot } from '../helpers/project.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const lesson = (quizzes: string) =>
  `---\ntitle: T\ndescription: D\norder: 1\nquizzes:\n${quizzes}\n---\n\nBody with a --- rule.\n`;

describe('the lab server’s lesson catalogue', () => {
  it('reads every lesson of the course with its quizzes in both locales', async () => {
    const catalog = await loadLessons(join(projectRoot, 'content'));
    const grader = catalog.get('threat-model/labs-and-grader');
    expect(Object.keys(grader?.quizzes.es ?? {})).toEqual(['grader-1', 'grader-2']);
    expect(grader?.quizzes.en?.['grader-1']?.answer).toBe(1);
    expect(catalog.size).toBeGreaterThan(40);
  });

  it('skips a lesson whose frontmatter is not YAML or breaks the schema, and says which', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lessons-'));
    dirs.push(dir);
    await mkdir(join(dir, 'en', 'lessons', 'mod'), { recursive: true });
    await writeFile(
      join(dir, 'en', 'lessons', 'mod', 'good.mdx'),
      lesson("  q-1:\n    question: Q\n    options: [a, b]\n    answer: 1\n    explanation: 'Because b.'"),
    );
    await writeFile(join(dir, 'en', 'lessons', 'mod', 'broken.mdx'), lesson('  q-1: [unclosed'));
    await writeFile(
      join(dir, 'en', 'lessons', 'mod', 'invalid.mdx'),
      lesson('  q-1:\n    question: Q\n    options: [a, b]\n    answer: 5'),
    );
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const catalog = await loadLessons(dir);
      expect([...catalog.keys()]).toEqual(['mod/good']);
      expect(catalog.get('mod/good')?.quizzes.en?.['q-1']?.explanation).toBe('Because b.');
      const logged = errors.mock.calls.map((c) => String(c[0]));
      expect(logged.some((l) => l.includes('broken.mdx') && l.includes('not YAML'))).toBe(true);
      expect(logged.some((l) => l.includes('invalid.mdx'))).toBe(true);
    } finally {
      errors.mockRestore();
    }
  });
});
