import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lessonSchema, moduleSchema } from '../../src/contracts/content.ts';
import { projectRoot } from '../helpers/project.ts';

const scratch = mkdtempSync(join(tmpdir(), 'content-schema-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `astro sync` (the content-validation step of the build) over fixture content (and labs). */
function syncWith(files: Record<string, string>, labs?: Record<string, string>) {
  const contentDir = mkdtempSync(join(scratch, 'content-'));
  const write = (root: string, tree: Record<string, string>) => {
    for (const [path, text] of Object.entries(tree)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  };
  write(contentDir, files);
  const labsDir = labs ? mkdtempSync(join(scratch, 'labs-')) : undefined;
  if (labsDir) write(labsDir, labs!);
  const astro = join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs');
  const result = spawnSync(process.execPath, [astro, 'sync'], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: {
      ...process.env,
      COURSE_CONTENT_DIR: contentDir,
      ...(labsDir ? { COURSE_LABS_DIR: labsDir } : {}),
      ASTRO_CACHE_DIR: join(contentDir, '.cache'),
      NO_COLOR: '1',
    },
  });
  return { status: result.status, output: result.stdout + result.stderr, contentDir };
}

describe('module frontmatter schema', () => {
  it('accepts a complete module', () => {
    const parsed = moduleSchema.parse({ title: 'T', description: 'D', order: 2, minutes: 5 });
    expect(parsed).toEqual({ title: 'T', description: 'D', order: 2, minutes: 5, cks: [], owasp: [], draft: false });
    const m0 = moduleSchema.parse({ title: 'T', description: 'D', order: 0, objectives: ['a', 'b'], cks: ['CH'] });
    expect(m0).toMatchObject({ order: 0, objectives: ['a', 'b'], cks: ['CH'], owasp: [] });
  });

  it('rejects unknown fields and wrong types', () => {
    expect(moduleSchema.safeParse({ title: 'T', description: 'D', order: 1, colour: 'red' }).success).toBe(false);
    expect(moduleSchema.safeParse({ title: 'T', description: 'D', order: -1 }).success).toBe(false);
    expect(moduleSchema.safeParse({ title: 'T', description: 'D', order: 1, cks: ['XX'] }).success).toBe(false);
    expect(moduleSchema.safeParse({ title: 'T', description: 'D', order: 1, objectives: ['only one'] }).success).toBe(
      false,
    );
    expect(moduleSchema.safeParse({ title: '', description: 'D', order: 1 }).success).toBe(false);
  });

  it('fails the build with the file path and the offending field', () => {
    const { status, output, contentDir } = syncWith({
      'es/modules/broken.mdx': '---\ntitle: Roto\ndescription: x\norder: "first"\n---\nHola\n',
    });
    expect(status).not.toBe(0);
    expect(output).toContain('InvalidContentEntryDataError');
    expect(output).toContain(join(contentDir, 'es', 'modules', 'broken.mdx'));
    expect(output).toMatch(/order\W+.*Expected type `"number"`/);
  });

  it('names a missing required field', () => {
    const { status, output } = syncWith({ 'en/modules/untitled.mdx': '---\ndescription: x\norder: 1\n---\nHi\n' });
    expect(status).not.toBe(0);
    expect(output).toContain('untitled.mdx');
    expect(output).toMatch(/title\W+.*[Rr]equired/);
  });
});

describe('lab.yaml in the site build', () => {
  it("fails the build on a check field its kind's plug-in does not know, naming file, line and field", () => {
    const lab = [
      'id: fixture',
      'module: intro',
      'title: { es: Prueba, en: Test }',
      'summary: { es: Prueba, en: Test }',
      'backends: [embedded]',
      'exercises:',
      '  - id: one',
      '    title: { es: Uno, en: One }',
      '    checks:',
      '      - kind: trivy-report',
      '        path: report.json',
      '        imag: nginx:1.27',
      '    hints: [{ es: Pista, en: Hint }]',
      '    solution: { commands: [true] }',
    ].join('\n');
    const mdx = (l: string) => `---\ntitle: ${l}\n---\n<Exercise id="one" />\n`;
    const { status, output } = syncWith(
      { 'es/modules/intro.mdx': '---\ntitle: M\ndescription: D\norder: 1\n---\nHola\n' },
      { 'fixture/lab.yaml': lab, 'fixture/lab.es.mdx': mdx('Prueba'), 'fixture/lab.en.mdx': mdx('Test') },
    );
    expect(status).not.toBe(0);
    expect(output).toMatch(/fixture\/lab\.yaml:\d+: exercises\[0\]\.checks\[0\]: Unrecognized key: "imag"/);
  });
});

describe('lesson quizzes in the frontmatter', () => {
  const lesson = (quizzes: unknown) => lessonSchema.safeParse({ title: 'T', description: 'D', order: 1, quizzes });

  it('accepts single choice, multiple choice and short answer quizzes', () => {
    const parsed = lesson({
      one: { question: 'Q?', options: ['a', 'b'], answer: 1 },
      many: { question: 'Q?', options: ['a', 'b', 'c'], answer: [0, 2] },
      short: { question: 'Q?', accept: ['USER'] },
    });
    expect(parsed.success).toBe(true);
    expect(lessonSchema.parse({ title: 'T', description: 'D', order: 1 }).quizzes).toEqual({});
  });

  it('rejects answer keys that cannot be graded', () => {
    const message =
      'a quiz has either options with the right answer index (or indices), or accept with the short answers';
    for (const bad of [
      { question: 'Q?', options: ['a', 'b'], answer: 2 },
      { question: 'Q?', options: ['a', 'b'] },
      { question: 'Q?', options: ['a', 'b'], answer: 0, accept: ['a'] },
      { question: 'Q?' },
    ]) {
      const parsed = lesson({ q: bad });
      expect(parsed.success, JSON.stringify(bad)).toBe(false);
      expect(parsed.error?.issues[0]?.message).toBe(message);
    }
    expect(lesson({ 'Bad Id': { question: 'Q?', accept: ['x'] } }).success).toBe(false);
  });
});
