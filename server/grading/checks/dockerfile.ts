import { DockerfileParser } from 'dockerfile-ast';
import { z } from 'zod';
import { readHomeFile } from '../home-files.ts';
import { defineCheck, type Say } from '../plugin.ts';

const rules = z.object({
  minStages: z.number().int().positive().optional(),
  nonRootUser: z.boolean().optional(),
  noLatest: z.boolean().optional(),
  /** Final-stage base images that are not allowed (full distributions). */
  finalBaseNot: z.array(z.string().min(1)).optional(),
  /**
   * The final USER must be a numeric UID (or the numeric default of a distroless `:nonroot`
   * base): the kubelet can only verify runAsNonRoot against a number.
   */
  numericUser: z.boolean().optional(),
  /** File names no COPY or ADD may name as a source (secrets that must never reach a layer). */
  noCopy: z.array(z.string().min(1)).optional(),
  /** At least one RUN must mount a BuildKit secret (--mount=type=secret). */
  secretMount: z.boolean().optional(),
});
type DockerfileRules = z.infer<typeof rules>;
type ProblemKey = 'stages' | 'latest' | 'root' | 'base' | 'named' | 'copied' | 'noSecretMount';

/** The first problem a Dockerfile has against the rules, in the learner's language; undefined when it passes. */
function dockerfileProblem(text: string, rules: DockerfileRules, say: Say<ProblemKey>): string | undefined {
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const stageNames = new Set(froms.map((f) => f.getBuildStage()).filter((s): s is string => Boolean(s)));
  if (rules.minStages && froms.length < rules.minStages) {
    return say('stages', { found: froms.length, wanted: rules.minStages });
  }
  if (rules.noLatest) {
    for (const from of froms) {
      const name = from.getImageName() ?? '';
      if (stageNames.has(name) || name === 'scratch') continue; // FROM <earlier stage>
      const tag = from.getImageTag();
      if (!from.getImageDigest() && (!tag || tag === 'latest')) {
        return say('latest', { image: from.getImage() ?? name });
      }
    }
  }
  const final = froms.at(-1);
  if (final && rules.finalBaseNot?.length) {
    const image = final.getImage() ?? '';
    const base = (final.getImageName() ?? '').split('/').pop() ?? '';
    const tag = final.getImageTag() ?? '';
    const minimalTag = /alpine|slim|distroless|nonroot|static|minimal/.test(tag);
    if (rules.finalBaseNot.includes(base) && !minimalTag) return say('base', { image });
  }
  if ((rules.nonRootUser || rules.numericUser) && final) {
    const finalLine = final.getRange().start.line;
    const users = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === 'USER' && i.getRange().start.line > finalLine)
      .map((i) => i.getArgumentsContent()?.trim() ?? '');
    const last = users.at(-1);
    const distrolessNonroot = /nonroot/.test(final.getImageTag() ?? '');
    const user = last?.split(':')[0];
    if ((!last && !distrolessNonroot) || user === 'root' || user === '0') return say('root');
    if (rules.numericUser && last && !/^\d+$/.test(user ?? '')) return say('named', { user: last });
  }
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (rules.noCopy?.length && (keyword === 'COPY' || keyword === 'ADD')) {
      const sources = instruction
        .getArguments()
        .map((a) => a.getValue())
        .slice(0, -1);
      const copied = sources.find((src) => rules.noCopy!.includes(src.split('/').pop() ?? src));
      if (copied) return say('copied', { file: copied });
    }
  }
  if (rules.secretMount) {
    const mounts = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === 'RUN')
      .some((i) =>
        (i as unknown as { getFlags(): Array<{ toString(): string }> })
          .getFlags()
          .some((f) => /^--mount=(.*,)?type=secret(,|$)/.test(f.toString())),
      );
    if (!mounts) return say('noSecretMount');
  }
  return undefined;
}

/** A Dockerfile in HOME, read with a Dockerfile parser: stages, pinned tags, final base image, USER. */
export default defineCheck({
  kind: 'dockerfile',
  schema: rules.extend({
    kind: z.literal('dockerfile'),
    /** The Dockerfile, relative to the learner's HOME. */
    path: z.string().min(1),
  }),
  messages: {
    es: {
      missing: 'No encuentro el archivo {path}.',
      notHardened: 'El Dockerfile {path} todavía no está endurecido: {problem}',
      pass: 'El archivo {path} es correcto.',
      stages: 'tiene {found} etapa(s) y se esperan al menos {wanted} (usa una construcción multietapa)',
      latest: 'la imagen {image} usa la etiqueta latest o ninguna; fija una versión o un digest',
      root: 'la etapa final se ejecuta como root; añade USER con un usuario sin privilegios',
      base: 'la etapa final parte de {image}; usa una base mínima (distroless, alpine, slim)',
      named:
        'la etapa final termina con USER {user}, un nombre: con runAsNonRoot el kubelet no puede verificar que no sea root; usa un UID numérico, como USER 10001',
      copied: 'una instrucción COPY o ADD copia {file} en la imagen; ese archivo no debe llegar a ninguna capa',
      noSecretMount:
        'ningún RUN monta el secreto con --mount=type=secret; sin eso el token acaba en el contexto o en una capa',
    },
    en: {
      missing: 'The file {path} was not found.',
      notHardened: 'The Dockerfile {path} is not hardened yet: {problem}',
      pass: 'The file {path} is correct.',
      stages: 'it has {found} stage(s) and at least {wanted} are expected (use a multi-stage build)',
      latest: 'the image {image} uses the latest tag or no tag; pin a version or a digest',
      root: 'the final stage runs as root; add USER with an unprivileged user',
      base: 'the final stage starts from {image}; use a minimal base (distroless, alpine, slim)',
      named:
        'the final stage ends with USER {user}, a name: with runAsNonRoot the kubelet cannot verify it is not root; use a numeric UID such as USER 10001',
      copied: 'a COPY or ADD instruction copies {file} into the image; that file must never reach a layer',
      noSecretMount:
        'no RUN mounts the secret with --mount=type=secret; without it the token ends up in the context or a layer',
    },
  },
  async run(check, ctx, say) {
    const text = await readHomeFile(ctx, check.path);
    if (text === undefined) return { passed: false, message: say('missing', { path: check.path }) };
    const problem = dockerfileProblem(text, check, say);
    if (problem) return { passed: false, message: say('notHardened', { path: check.path, problem }) };
    return { passed: true, message: say('pass', { path: check.path }) };
  },
});
