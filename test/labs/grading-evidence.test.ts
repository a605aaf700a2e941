import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabs } from '../../server/labs/catalog.ts';
import { projectRoot } from '../helpers/project.ts';

/**
 * The command log is the learner's to write, so it can only ever support a grade: every exercise
 * of every lab must also check the state reached (an object, an admission probe, a can-i, a file).
 */
const labs = await loadLabs(join(projectRoot, 'labs'));

describe('no exercise is graded on the command log alone', () => {
  it('loads the labs', () => {
    expect(labs.size).toBeGreaterThan(0);
  });

  for (const lab of labs.values()) {
    it(`${lab.id}: every exercise has a check other than "command"`, () => {
      expect(lab.definition, `${lab.id} is invalid`).toBeTruthy();
      const commandOnly = lab.definition!.exercises.filter((e) => e.checks.every((c) => c.kind === 'command'));
      expect(commandOnly.map((e) => e.id)).toEqual([]);
    });
  }
});
