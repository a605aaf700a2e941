import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { learnerShellToolNames, learnerShellTools } from '../../server/lab/learner-tools.ts';
import { toolInstalled } from '../../server/lab/tools.ts';
import { commandLines, instructionScripts, namedPrograms, programOf } from '../../server/labs/named-commands.ts';
import { projectRoot } from '../helpers/project.ts';

/**
 * Every program a lab tells the learner to run (its instructions' commands, its reference
 * solutions, the editors its text names) is in the learner shell or in the lab's `tools`,
 * which the lab page turns into what to install.
 */
const labsDir = join(projectRoot, 'labs');
const labs = readdirSync(labsDir).filter((d) => {
  try {
    readFileSync(join(labsDir, d, 'lab.yaml'));
    return true;
  } catch {
    return false;
  }
});

interface LabYaml {
  tools?: string[];
  exercises: Array<{ id: string; solution: { commands?: string[] } }>;
}

const editors = /`(nano|vi|vim|emacs|less|more)`/g;

describe('the programs labs name', () => {
  it('finds the commands of a shell line, quotes and substitutions included', () => {
    expect(commandLines(`a=1 b | c "x; y" && $(d e) ; f 'g | h'`).map(programOf)).toEqual([
      'b',
      'c',
      'd',
      undefined,
      'f',
    ]);
    expect(programOf('sudo kubectl get pods')).toBe('kubectl');
    expect(programOf('KEY=v 2>/dev/null trivy image x')).toBe('trivy');
    expect(namedPrograms(['echo $((1+2)); (cd dir && nano file)']).map((p) => p.program)).toEqual(['nano']);
    expect(instructionScripts('<Command>{"jq -r \\".a\\" f"}</Command>\n```sh\n$ git log\n```\n')).toEqual([
      'jq -r ".a" f',
      'git log\n',
    ]);
  });

  it.each(labs)('%s: every program its instructions and solutions run is in the learner shell or in `tools`', (lab) => {
    const definition = parse(readFileSync(join(labsDir, lab, 'lab.yaml'), 'utf8')) as LabYaml;
    const declared = new Set(definition.tools ?? []);
    const texts = ['es', 'en'].map((locale) => readFileSync(join(labsDir, lab, `lab.${locale}.mdx`), 'utf8'));
    const scripts = [
      ...texts.flatMap(instructionScripts),
      ...definition.exercises.flatMap((e) => e.solution.commands ?? []),
    ];
    const named = [
      ...namedPrograms(scripts),
      ...texts.flatMap((t) => [...t.matchAll(editors)].map((m) => ({ program: m[1]!, script: m[0] }))),
    ];
    const missing = named.filter(({ program }) => !learnerShellToolNames.has(program) && !declared.has(program));
    expect(missing.map((m) => `${m.program} (in: ${m.script.slice(0, 80)})`)).toEqual([]);
  });

  it('the learner shell really has what it promises on this machine', () => {
    expect(learnerShellTools.filter((t) => !toolInstalled(t.name)).map((t) => t.name)).toEqual([]);
  });

  it('the scan would catch a lab naming an editor or a tool it does not declare', () => {
    const scripts = instructionScripts('<Command>nano Dockerfile && trivy fs .</Command>');
    const unknown = namedPrograms(scripts).filter((p) => !learnerShellToolNames.has(p.program));
    expect(unknown.map((p) => p.program)).toEqual(['trivy']);
    expect(learnerShellToolNames.has('nano')).toBe(true);
  });
});
