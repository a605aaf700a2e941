import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { Lab } from '../../src/contracts/lab.ts';
import { localeNames, locales, type Locale } from '../../src/contracts/locales.ts';
import { checkKinds, fullLabSchema } from '../grading/registry.ts';

export interface LabProblem {
  file: string;
  line: number;
  field: string;
  message: string;
}

export interface LoadedLab {
  lab: Lab;
  dir: string;
  /** Instructions per locale (MDX text). */
  instructions: Record<Locale, string>;
}

function lineOf(doc: Document, counter: LineCounter, path: Array<string | number>): number {
  for (let i = path.length; i >= 0; i--) {
    const node = doc.getIn(path.slice(0, i), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return counter.linePos(node.range[0]).line;
  }
  return 1;
}

function fieldName(path: Array<string | number | symbol>): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '') || '(root)'
  );
}

/** Exercise ids an MDX file shows with <Exercise id="...">. */
export function exerciseIdsIn(mdx: string): string[] {
  return [...mdx.matchAll(/<Exercise\s+[^>]*id=["']([^"']+)["']/g)].map((m) => m[1]!);
}

/**
 * Reads and checks one lab folder: lab.yaml against the schema (problems carry file:line
 * and the field), referenced files, both locales' instructions and their exercise ids.
 */
export async function loadLab(dir: string, root = dir): Promise<{ lab?: LoadedLab; problems: LabProblem[] }> {
  const problems: LabProblem[] = [];
  const yamlPath = join(dir, 'lab.yaml');
  const file = (p: string) => relative(root, p) || p;
  let text: string;
  try {
    text = await readFile(yamlPath, 'utf8');
  } catch {
    return { problems: [{ file: file(yamlPath), line: 1, field: '(file)', message: 'lab.yaml is missing' }] };
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length) {
    for (const error of doc.errors) {
      problems.push({
        file: file(yamlPath),
        line: counter.linePos(error.pos[0]).line,
        field: '(yaml)',
        message: error.message.split('\n')[0]!,
      });
    }
    return { problems };
  }
  const raw = doc.toJS() as unknown;
  // Unknown check kinds get a clear message before the schema's union error.
  const exercises = (raw as { exercises?: Array<{ checks?: Array<{ kind?: unknown }> }> })?.exercises;
  if (Array.isArray(exercises)) {
    exercises.forEach((ex, i) =>
      (ex?.checks ?? []).forEach((c, j) => {
        if (c && !checkKinds.includes(c.kind as string)) {
          problems.push({
            file: file(yamlPath),
            line: lineOf(doc, counter, ['exercises', i, 'checks', j, 'kind']),
            field: `exercises[${i}].checks[${j}].kind`,
            message: `unknown check kind ${JSON.stringify(c.kind)}; known kinds: ${checkKinds.join(', ')}`,
          });
        }
      }),
    );
  }
  // Both locales are checked even when lab.yaml has problems, so one run reports everything.
  const declaredIds = Array.isArray(exercises) ? exercises.map((e) => String((e as { id?: unknown })?.id ?? '')) : [];
  const instructions = { es: '', en: '' };
  for (const locale of locales) {
    const mdxPath = join(dir, `lab.${locale}.mdx`);
    try {
      instructions[locale] = await readFile(mdxPath, 'utf8');
    } catch {
      problems.push({
        file: file(mdxPath),
        line: 1,
        field: '(file)',
        message: `instructions in ${localeNames[locale]} are missing (lab.${locale}.mdx)`,
      });
      continue;
    }
    const shown = exerciseIdsIn(instructions[locale]);
    for (const id of declaredIds.filter((d) => !shown.includes(d))) {
      problems.push({
        file: file(mdxPath),
        line: 1,
        field: `<Exercise id="${id}">`,
        message: `exercise "${id}" from lab.yaml is not shown in lab.${locale}.mdx`,
      });
    }
    for (const id of shown.filter((s) => !declaredIds.includes(s))) {
      const line = instructions[locale].slice(0, instructions[locale].indexOf(`id="${id}"`)).split('\n').length;
      problems.push({
        file: file(mdxPath),
        line,
        field: `<Exercise id="${id}">`,
        message: `exercise "${id}" is not declared in lab.yaml`,
      });
    }
  }
  const parsed = fullLabSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as Array<string | number>;
      if (path.at(-1) === 'kind' && problems.some((p) => p.field === fieldName(path))) continue;
      if (issue.code === 'invalid_union' && problems.some((p) => p.field.startsWith(fieldName(path)))) continue;
      problems.push({
        file: file(yamlPath),
        line: lineOf(doc, counter, path),
        field: fieldName(path),
        message: issue.message,
      });
    }
    return { problems };
  }
  const lab = parsed.data;
  const exists = (p: string) => existsSync(join(dir, p));
  lab.setup.forEach((p, i) => {
    if (!exists(p))
      problems.push({
        file: file(yamlPath),
        line: lineOf(doc, counter, ['setup', i]),
        field: `setup[${i}]`,
        message: `file ${p} does not exist`,
      });
  });
  lab.exercises.forEach((ex, i) => {
    const outside = (ex.backends ?? []).filter((b) => !lab.backends.includes(b));
    if (outside.length)
      problems.push({
        file: file(yamlPath),
        line: lineOf(doc, counter, ['exercises', i, 'backends']),
        field: `exercises[${i}].backends`,
        message: `${outside.join(', ')} is not one of the lab's backends (${lab.backends.join(', ')})`,
      });
    ex.checks.forEach((c, j) => {
      if (c.kind === 'admission' && typeof c.manifest === 'string' && !exists(c.manifest)) {
        problems.push({
          file: file(yamlPath),
          line: lineOf(doc, counter, ['exercises', i, 'checks', j, 'manifest']),
          field: `exercises[${i}].checks[${j}].manifest`,
          message: `file ${c.manifest} does not exist`,
        });
      }
    });
    for (const [target, source] of Object.entries(ex.solution.files ?? {})) {
      if (source.startsWith('@') && !exists(source.slice(1))) {
        problems.push({
          file: file(yamlPath),
          line: lineOf(doc, counter, ['exercises', i, 'solution', 'files', target]),
          field: `exercises[${i}].solution.files.${target}`,
          message: `file ${source.slice(1)} does not exist`,
        });
      }
    }
  });
  return problems.length ? { problems } : { lab: { lab, dir, instructions }, problems };
}

/** Every lab folder under `labsDir` (a folder with a lab.yaml). */
export async function labDirs(labsDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(labsDir);
  } catch {
    return [];
  }
  return entries
    .sort()
    .map((e) => join(labsDir, e))
    .filter((d) => existsSync(join(d, 'lab.yaml')));
}
