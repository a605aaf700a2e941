import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseSolutionRun, solutionScript } from '../../server/lab/solution-run.ts';

/** The script "Apply the solution" runs, in a real bash: one shell, in order, stopping at a failure. */
function apply(commands: string[], timeout = 10_000) {
  const run = spawnSync('/bin/bash', ['-c', solutionScript, 'lab-apply', ...commands], {
    encoding: 'utf8',
    timeout,
  });
  const timedOut = run.error !== undefined;
  return parseSolutionRun(`${run.stdout}${run.stderr}`, commands, { exitCode: run.status ?? 1, timedOut });
}

describe('running a solution’s commands', () => {
  it('keeps the shell between commands, like the terminal: a variable set by one is there for the next', () => {
    const results = apply(['NODE=$(echo node-$((6*7)))', 'echo "on $NODE"', "printf 'no newline'"]);
    expect(results).toEqual([
      { command: 'NODE=$(echo node-$((6*7)))', exitCode: 0, output: '' },
      { command: 'echo "on $NODE"', exitCode: 0, output: 'on node-42\n' },
      { command: "printf 'no newline'", exitCode: 0, output: 'no newline' },
    ]);
  });

  it('stops at the first failing command, with its exit code and output', () => {
    const results = apply(['true', 'echo boom >&2; exit 3', 'echo never']);
    expect(results.map((r) => r.exitCode)).toEqual([0, 3]);
    expect(results[1]!.output).toBe('boom\n');
  });

  it('names a command that never finished', () => {
    const results = apply(['echo started; sleep 5'], 500);
    expect(results).toHaveLength(1);
    expect(results[0]!.exitCode).toBe(124);
  });
});
