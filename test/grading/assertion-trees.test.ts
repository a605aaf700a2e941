import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeMismatches,
  expressionKeys,
  expressionProblem,
  partialMismatches,
} from '../../server/grading/object-match.ts';
import { loadLab } from '../../server/labs/load.ts';
import { projectRoot } from '../helpers/project.ts';

/** Expression keys in assert/absent objects, as in Chainsaw's assertion trees. */

const pod = {
  spec: {
    securityContext: { runAsUser: 10001 },
    containers: [
      { name: 'web', securityContext: {} },
      { name: 'metrics', securityContext: { runAsUser: 20002 } },
    ],
    volumes: [{ name: 'tmp', emptyDir: {} }],
  },
};
const everyContainerHasAUser =
  '(length(spec.containers[?!((securityContext.runAsUser || $.spec.securityContext.runAsUser) > `0`)]))';

describe('expression keys', () => {
  it('project the node they sit in and match the result; $ is that node', () => {
    expect(partialMismatches({ [everyContainerHasAUser]: 0 }, pod)).toEqual([]);
    const rootless = structuredClone(pod);
    delete (rootless.spec.securityContext as { runAsUser?: number }).runAsUser;
    expect(partialMismatches({ [everyContainerHasAUser]: 0 }, rootless)).toEqual([
      { path: everyContainerHasAUser, expected: 0, actual: 1, expression: true },
    ]);
  });

  it('match objects and arrays under the projection with the usual partial rules', () => {
    expect(
      partialMismatches(
        { "(spec.containers[?name == 'metrics'] | [0])": { securityContext: { runAsUser: 20002 } } },
        pod,
      ),
    ).toEqual([]);
    expect(partialMismatches({ '(spec.containers[].name)': ['web', 'metrics'] }, pod)).toEqual([]);
    expect(partialMismatches({ '(spec.containers[].name)': ['web'] }, pod)).toHaveLength(1);
  });

  it('treat a projection to null as a missing value', () => {
    expect(partialMismatches({ '(spec.nothing.here)': 'x' }, pod)[0]).toMatchObject({ actual: undefined });
  });

  it('turn a runtime type error into a mismatch instead of throwing', () => {
    const [mismatch] = partialMismatches({ '(length(spec.missing))': 0 }, pod);
    expect(mismatch).toMatchObject({ expected: 0, expression: true });
    expect(String(mismatch!.actual)).toMatch(/^\(.+\)$/);
  });

  it('sit beside plain keys and nest inside them', () => {
    const tree = { spec: { '(length(containers))': 2, volumes: [{ name: 'tmp' }] } };
    expect(partialMismatches(tree, pod)).toEqual([]);
    expect(expressionKeys(tree)).toEqual([{ path: 'spec.(length(containers))', expression: 'length(containers)' }]);
  });

  it('are left out of the learner-facing diff, plain fields are not', () => {
    const list = partialMismatches({ spec: { '(length(containers))': 3, hostPID: true } }, pod);
    expect(list).toHaveLength(2);
    expect(describeMismatches(list, 'expected', 'got')).toBe('- spec.hostPID: expected true, got (missing)');
  });

  it('are compiled when a lab is validated, with the field and line of the broken one', async () => {
    expect(expressionProblem('length(spec.containers')).toBeTruthy();
    expect(expressionProblem(everyContainerHasAUser.slice(1, -1))).toBeUndefined();
    const dir = await mkdtemp(join(tmpdir(), 'bad-expression-'));
    try {
      await cp(join(projectRoot, 'labs', 'harden-deployment'), join(dir, 'harden-deployment'), { recursive: true });
      const yamlPath = join(dir, 'harden-deployment', 'lab.yaml');
      const text = await readFile(yamlPath, 'utf8');
      await writeFile(
        yamlPath,
        text.replace(
          "'(length(spec.template.spec.containers[?securityContext.readOnlyRootFilesystem != `true`]))': 0",
          "'(length(spec.template.spec.containers[?securityContext.readOnlyRootFilesystem != `true`])': 0",
        ),
      );
      const { problems } = await loadLab(join(dir, 'harden-deployment'), dir);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.field).toBe('exercises[2].checks[0].object');
      expect(problems[0]!.message).toContain('is not valid JMESPath');
      expect(problems[0]!.line).toBeGreaterThan(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
