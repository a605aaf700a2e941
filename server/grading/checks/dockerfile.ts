import { DockerfileParser } from 'dockerfile-ast';
import type { Locale } from '../../../src/contracts/locales.ts';
import { message } from '../messages.ts';

export interface DockerfileRules {
  minStages?: number;
  nonRootUser?: boolean;
  noLatest?: boolean;
  finalBaseNot?: string[];
}

/** The first problem a Dockerfile has against the rules, in the learner's language; undefined when it passes. */
export function dockerfileProblem(text: string, rules: DockerfileRules, locale: Locale): string | undefined {
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const stageNames = new Set(froms.map((f) => f.getBuildStage()).filter((s): s is string => Boolean(s)));
  if (rules.minStages && froms.length < rules.minStages) {
    return message(locale, 'dockerfile.stages', { found: froms.length, wanted: rules.minStages });
  }
  if (rules.noLatest) {
    for (const from of froms) {
      const name = from.getImageName() ?? '';
      if (stageNames.has(name) || name === 'scratch') continue; // FROM <earlier stage>
      const tag = from.getImageTag();
      if (!from.getImageDigest() && (!tag || tag === 'latest')) {
        return message(locale, 'dockerfile.latest', { image: from.getImage() ?? name });
      }
    }
  }
  const final = froms.at(-1);
  if (final && rules.finalBaseNot?.length) {
    const image = final.getImage() ?? '';
    const base = (final.getImageName() ?? '').split('/').pop() ?? '';
    const tag = final.getImageTag() ?? '';
    const minimalTag = /alpine|slim|distroless|nonroot|static|minimal/.test(tag);
    if (rules.finalBaseNot.includes(base) && !minimalTag) return message(locale, 'dockerfile.base', { image });
  }
  if (rules.nonRootUser && final) {
    const finalLine = final.getRange().start.line;
    const users = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === 'USER' && i.getRange().start.line > finalLine)
      .map((i) => i.getArgumentsContent()?.trim() ?? '');
    const last = users.at(-1);
    const distrolessNonroot = /nonroot/.test(final.getImageTag() ?? '');
    const user = last?.split(':')[0];
    if ((!last && !distrolessNonroot) || user === 'root' || user === '0') return message(locale, 'dockerfile.root');
  }
  return undefined;
}
