import { z } from 'zod';
import { readHomeFile } from '../home-files.ts';
import { defineCheck } from '../plugin.ts';

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
function trivyReportProblem(
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

/** A file in HOME is a Trivy JSON report (schema 2) of the image, optionally with exact severity counts. */
export default defineCheck({
  kind: 'trivy-report',
  schema: z.object({
    kind: z.literal('trivy-report'),
    /** The report, relative to the learner's HOME. */
    path: z.string().min(1),
    image: z.string().min(1),
    severityCounts: z.partialRecord(z.enum(severities), z.number().int().min(0)).optional(),
  }),
  messages: {
    es: {
      missing: 'No encuentro el archivo {path}.',
      unparsable: 'El archivo {path} no es JSON válido: {error}',
      invalid: 'El archivo {path} no es un informe JSON de Trivy válido para {image}: {problem}',
      pass: 'El archivo {path} es correcto.',
    },
    en: {
      missing: 'The file {path} was not found.',
      unparsable: 'The file {path} is not valid JSON: {error}',
      invalid: 'The file {path} is not a valid Trivy JSON report for {image}: {problem}',
      pass: 'The file {path} is correct.',
    },
  },
  async run(check, ctx, say) {
    const text = await readHomeFile(ctx, check.path);
    if (text === undefined) return { passed: false, message: say('missing', { path: check.path }) };
    let report: unknown;
    try {
      report = JSON.parse(text);
    } catch (error) {
      const first = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      return { passed: false, message: say('unparsable', { path: check.path, error: first }) };
    }
    const problem = trivyReportProblem(report, check.image, check.severityCounts);
    if (problem) return { passed: false, message: say('invalid', { path: check.path, image: check.image, problem }) };
    return { passed: true, message: say('pass', { path: check.path }) };
  },
});
