import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, normalize } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { archiveIdentity, type ArchiveIdentity } from '../../oci/archive.ts';
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

/** Every finding as "ID package version", to compare two reports of the same image. */
function findings(report: Obj): Set<string> {
  const out = new Set<string>();
  for (const result of (report.Results as Obj[] | undefined) ?? []) {
    for (const v of (result.Vulnerabilities as Obj[] | undefined) ?? [])
      out.add(`${String(v.VulnerabilityID)} ${String(v.PkgName)} ${String(v.InstalledVersion)}`);
  }
  return out;
}

/** trivy on the server's own PATH (never the learner's), or undefined. */
function serverTrivy(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'trivy'))) return join(dir, 'trivy');
  }
  return undefined;
}

type Say = (key: Keys, params?: Record<string, string | number>) => string;
type Keys =
  | 'missing'
  | 'unparsable'
  | 'invalid'
  | 'schema'
  | 'notImage'
  | 'imageId'
  | 'diffIds'
  | 'artifact'
  | 'stale'
  | 'future'
  | 'created'
  | 'counts'
  | 'differs'
  | 'pass'
  | 'passUnverified';

/** What is wrong with the report as a report of this image, in the learner's language. */
function problem(
  r: Obj,
  check: { image: string; maxAgeHours?: number; severityCounts?: Partial<Record<string, number>> },
  identity: ArchiveIdentity | undefined,
  archiveName: string | undefined,
  say: Say,
): string | undefined {
  if (r.SchemaVersion !== 2) return say('schema', { found: JSON.stringify(r.SchemaVersion) });
  if (r.ArtifactType !== undefined && r.ArtifactType !== 'container_image')
    return say('notImage', { found: JSON.stringify(r.ArtifactType) });
  const meta = (r.Metadata ?? {}) as Obj;
  const repoTags = (meta.RepoTags as string[] | undefined) ?? [];
  const artifact = String(r.ArtifactName ?? '');
  if (!sameImage(artifact, check.image) && !repoTags.some((t) => sameImage(t, check.image)))
    return say('artifact', { artifact, tags: JSON.stringify(repoTags), image: check.image });
  if (identity) {
    // The image ID is the digest of the image's config: no hand-written report knows it by chance.
    if (meta.ImageID !== identity.imageId)
      return say('imageId', { found: JSON.stringify(meta.ImageID ?? null), archive: archiveName ?? '' });
    const diffIds = (meta.DiffIDs as string[] | undefined) ?? [];
    if (JSON.stringify(diffIds) !== JSON.stringify(identity.diffIds))
      return say('diffIds', { found: diffIds.length, expected: identity.diffIds.length });
  }
  if (check.maxAgeHours !== undefined) {
    const created = Date.parse(String(r.CreatedAt ?? ''));
    if (!Number.isFinite(created)) return say('created');
    const ageHours = (Date.now() - created) / 3_600_000;
    if (ageHours > check.maxAgeHours) return say('stale', { hours: Math.floor(ageHours), max: check.maxAgeHours });
    if (ageHours < -5 / 60) return say('future', { created: String(r.CreatedAt) });
  }
  if (check.severityCounts) {
    const found: Record<string, number> = Object.fromEntries(severities.map((s) => [s, 0]));
    for (const result of (r.Results as Obj[] | undefined) ?? []) {
      for (const v of (result.Vulnerabilities as Obj[] | undefined) ?? [])
        found[String(v.Severity)] = (found[String(v.Severity)] ?? 0) + 1;
    }
    for (const [severity, n] of Object.entries(check.severityCounts)) {
      if (found[severity] !== n) return say('counts', { severity, found: found[severity] ?? 0, expected: n ?? 0 });
    }
  }
  return undefined;
}

/**
 * A file in HOME is a Trivy JSON report (schema 2) of the lab's image: named by its tag, and,
 * when `archive` names the image archive the lab ships, carrying that archive's image ID and
 * layer DiffIDs, recent, and (when `reproduce` is set and trivy is installed on the server)
 * with the findings a fresh scan of the same archive gives.
 */
export default defineCheck({
  kind: 'trivy-report',
  schema: z.object({
    kind: z.literal('trivy-report'),
    /** The report, relative to the learner's HOME. */
    path: z.string().min(1),
    /** The tag the report must name (ArtifactName or Metadata.RepoTags). */
    image: z.string().min(1),
    /** The lab's image archive, relative to the lab's files/ folder: the report must be of it. */
    archive: z.string().min(1).optional(),
    /** Refuse reports created longer ago than this (Trivy's CreatedAt). */
    maxAgeHours: z.number().positive().optional(),
    /** Re-scan the archive with the server's trivy, when installed, and compare the findings. */
    reproduce: z.boolean().optional(),
    severityCounts: z.partialRecord(z.enum(severities), z.number().int().min(0)).optional(),
  }),
  messages: {
    es: {
      missing: 'No encuentro el archivo {path}.',
      unparsable: 'El archivo {path} no es JSON válido: {error}',
      invalid: 'El archivo {path} no es un informe de Trivy de {image}: {problem}',
      schema: 'su SchemaVersion es {found}, y Trivy escribe 2 (usa --format json)',
      notImage: 'su ArtifactType es {found}, no el de una imagen de contenedor',
      artifact: 'ArtifactName es «{artifact}» y RepoTags es {tags}; ninguno es {image}',
      imageId:
        'Metadata.ImageID es {found}, que no es el ID de la imagen de {archive}; genera el informe con trivy analizando ese archivo',
      diffIds: 'Metadata.DiffIDs tiene {found} capas y la imagen tiene {expected}',
      created: 'no tiene una fecha CreatedAt válida',
      stale: 'se creó hace {hours} h; vuelve a analizar la imagen (se aceptan informes de menos de {max} h)',
      future: 'su fecha CreatedAt ({created}) está en el futuro',
      counts: 'tiene {found} vulnerabilidades {severity} y se esperaban {expected}',
      differs:
        'no coincide con un análisis nuevo de la misma imagen: faltan {missing} hallazgos y sobran {extra}; genera el informe con trivy, sin editarlo',
      pass: 'El archivo {path} es un informe de Trivy de {image}.',
      passUnverified:
        'El archivo {path} es un informe de Trivy de {image} (no se pudo repetir el análisis en el servidor: {reason}).',
    },
    en: {
      missing: 'The file {path} was not found.',
      unparsable: 'The file {path} is not valid JSON: {error}',
      invalid: 'The file {path} is not a Trivy report of {image}: {problem}',
      schema: 'its SchemaVersion is {found}, and Trivy writes 2 (use --format json)',
      notImage: 'its ArtifactType is {found}, not a container image',
      artifact: 'ArtifactName is "{artifact}" and RepoTags are {tags}; none is {image}',
      imageId:
        'Metadata.ImageID is {found}, which is not the image ID of {archive}; produce the report with trivy scanning that archive',
      diffIds: 'Metadata.DiffIDs lists {found} layers and the image has {expected}',
      created: 'it has no valid CreatedAt date',
      stale: 'it was created {hours} h ago; scan the image again (reports younger than {max} h are accepted)',
      future: 'its CreatedAt date ({created}) is in the future',
      counts: 'it has {found} {severity} vulnerabilities and {expected} were expected',
      differs:
        'it does not match a fresh scan of the same image: {missing} findings are missing and {extra} are extra; produce the report with trivy, do not edit it',
      pass: 'The file {path} is a Trivy report of {image}.',
      passUnverified:
        'The file {path} is a Trivy report of {image} (the scan could not be repeated on the server: {reason}).',
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
    const invalid = (why: string) => ({
      passed: false,
      message: say('invalid', { path: check.path, image: check.image, problem: why }),
    });
    if (!report || typeof report !== 'object' || Array.isArray(report)) return invalid(say('schema', { found: '—' }));
    // The pristine archive in the lab folder, not the learner's copy.
    const archivePath = check.archive ? normalize(join(ctx.labDir, 'files', check.archive)) : undefined;
    const identity = archivePath ? archiveIdentity(await readFile(archivePath)) : undefined;
    const why = problem(report as Obj, check, identity, check.archive && basename(check.archive), say);
    if (why) return invalid(why);
    if (check.reproduce && archivePath) {
      const trivy = serverTrivy();
      if (!trivy)
        return {
          passed: true,
          message: say('passUnverified', { path: check.path, image: check.image, reason: 'trivy is not installed' }),
        };
      const server = process.env.TRIVY_SERVER;
      const args = ['image', '--input', archivePath, '--format', 'json', '--quiet', '--scanners', 'vuln'];
      args.push('--skip-version-check', '--disable-telemetry');
      if (server) args.push('--server', server);
      else args.push('--skip-db-update', '--skip-java-db-update', '--skip-check-update');
      const result = await execa(trivy, args, {
        env: {
          HOME: ctx.home,
          PATH: process.env.PATH ?? '',
          ...(process.env.TRIVY_CACHE_DIR ? { TRIVY_CACHE_DIR: process.env.TRIVY_CACHE_DIR } : {}),
        },
        extendEnv: false,
        timeout: 90_000,
        cancelSignal: ctx.signal,
        reject: false,
      });
      let fresh: Obj | undefined;
      try {
        fresh = result.exitCode === 0 ? (JSON.parse(String(result.stdout)) as Obj) : undefined;
      } catch {
        fresh = undefined;
      }
      if (!fresh) {
        const reason =
          String(result.stderr ?? '')
            .trim()
            .split('\n')
            .at(-1) || `exit code ${result.exitCode}`;
        return { passed: true, message: say('passUnverified', { path: check.path, image: check.image, reason }) };
      }
      const mine = findings(report as Obj);
      const theirs = findings(fresh);
      const missing = [...theirs].filter((f) => !mine.has(f)).length;
      const extra = [...mine].filter((f) => !theirs.has(f)).length;
      if (missing || extra) return invalid(say('differs', { missing, extra }));
    }
    return { passed: true, message: say('pass', { path: check.path, image: check.image }) };
  },
});
