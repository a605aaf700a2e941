import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { fileCheck } from '../../../src/contracts/lab.ts';
import { evaluateJsonPath } from '../../kube/jsonpath.ts';
import { message } from '../messages.ts';
import { dockerfileProblem } from './dockerfile.ts';
import type { CheckRunner } from '../types.ts';

type Obj = Record<string, unknown>;
const severities = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;

/** Image references match with or without the docker.io/library/ prefix. */
function sameImage(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .replace(/^docker\.io\//, '')
      .replace(/^library\//, '')
      .replace(/^index\.docker\.io\//, '');
  return norm(a) === norm(b);
}

/** What is wrong with a Trivy JSON report for an image, or undefined when it is a valid one. */
export function trivyReportProblem(
  report: unknown,
  image: string,
  counts?: Partial<Record<(typeof severities)[number], number>>,
): string | undefined {
  if (!report || typeof report !== 'object') return 'not a JSON object';
  const r = report as Obj;
  if (r.SchemaVersion !== 2) return `SchemaVersion is ${JSON.stringify(r.SchemaVersion)}, expected 2`;
  const repoTags = ((r.Metadata as Obj | undefined)?.RepoTags as string[] | undefined) ?? [];
  const artifact = String(r.ArtifactName ?? '');
  if (!sameImage(artifact, image) && !repoTags.some((t) => sameImage(t, image))) {
    return `ArtifactName is ${JSON.stringify(artifact)} and RepoTags are ${JSON.stringify(repoTags)}, none is ${image}`;
  }
  if (r.ArtifactType !== undefined && r.ArtifactType !== 'container_image')
    return `ArtifactType is ${JSON.stringify(r.ArtifactType)}`;
  if (counts) {
    const found: Record<string, number> = Object.fromEntries(severities.map((s) => [s, 0]));
    for (const result of (r.Results as Obj[] | undefined) ?? []) {
      for (const v of (result.Vulnerabilities as Obj[] | undefined) ?? [])
        found[String(v.Severity)] = (found[String(v.Severity)] ?? 0) + 1;
    }
    for (const [severity, n] of Object.entries(counts)) {
      if (found[severity] !== n) return `${severity} vulnerabilities: ${found[severity]}, expected ${n}`;
    }
  }
  return undefined;
}

export const runFile: CheckRunner<z.infer<typeof fileCheck>> = async (check, ctx) => {
  const path = normalize(join(ctx.home, check.path));
  if (!path.startsWith(ctx.home)) throw new Error(`file check path escapes HOME: ${check.path}`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { passed: false, message: message(ctx.locale, 'file.missing', { path: check.path }) };
  }
  if (check.matches && !new RegExp(check.matches, 'm').test(text)) {
    return {
      passed: false,
      message: message(ctx.locale, 'file.noMatch', { path: check.path, pattern: check.matches }),
    };
  }
  if (check.dockerfile) {
    const problem = dockerfileProblem(text, check.dockerfile, ctx.locale);
    if (problem)
      return { passed: false, message: message(ctx.locale, 'file.dockerfile', { path: check.path, problem }) };
    return { passed: true, message: message(ctx.locale, 'file.pass', { path: check.path }) };
  }
  const format = check.trivyReport
    ? 'json'
    : (check.format ?? (check.expect ? (check.path.endsWith('.json') ? 'json' : 'yaml') : 'text'));
  if (format === 'text') return { passed: true, message: message(ctx.locale, 'file.pass', { path: check.path }) };
  let data: unknown;
  try {
    data = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    return {
      passed: false,
      message: message(ctx.locale, 'file.unparsable', {
        path: check.path,
        format: format.toUpperCase(),
        error: error instanceof Error ? error.message.split('\n')[0]! : String(error),
      }),
    };
  }
  if (check.trivyReport) {
    const problem = trivyReportProblem(data, check.trivyReport.image, check.trivyReport.severityCounts);
    if (problem)
      return {
        passed: false,
        message: message(ctx.locale, 'file.trivy', { path: check.path, image: check.trivyReport.image, problem }),
      };
  }
  for (const e of check.expect ?? []) {
    const values = evaluateJsonPath(data, e.path);
    const actual = values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
    let ok = true;
    let expectedText = '';
    if (e.exists !== undefined) {
      ok = e.exists === (actual !== undefined);
      expectedText = e.exists
        ? ctx.locale === 'es'
          ? 'que exista'
          : 'a value'
        : ctx.locale === 'es'
          ? 'que no exista'
          : 'nothing';
    }
    if (ok && e.equals !== undefined) {
      ok = JSON.stringify(actual) === JSON.stringify(e.equals) || String(actual) === String(e.equals);
      expectedText = JSON.stringify(e.equals);
    }
    if (ok && e.matches !== undefined) {
      ok =
        actual !== undefined &&
        new RegExp(e.matches).test(typeof actual === 'string' ? actual : JSON.stringify(actual));
      expectedText = `/${e.matches}/`;
    }
    if (!ok) {
      return {
        passed: false,
        message: message(ctx.locale, 'file.expect', {
          path: check.path,
          field: e.path,
          expected: expectedText,
          actual: actual === undefined ? '—' : JSON.stringify(actual),
        }),
      };
    }
  }
  return { passed: true, message: message(ctx.locale, 'file.pass', { path: check.path }) };
};
