import type { ApplyResult } from '../../src/contracts/protocol.ts';

/**
 * A solution's commands run in ONE shell, in order, as `labs test` types them into one
 * terminal: a variable one command sets (NODE=$(kubectl …)) is there for the next. Each
 * command is framed by marker lines so its exit code and output can be told apart; the
 * first that fails stops the rest.
 */
const mark = '\u001elab-apply';

export const solutionScript = [
  '__lab_n=0',
  'for __lab_cmd do',
  '  __lab_n=$((__lab_n + 1))',
  `  printf '\\n${mark} start %d\\n' "$__lab_n"`,
  '  eval "$__lab_cmd"',
  '  __lab_code=$?',
  `  printf '\\n${mark} exit %d %d\\n' "$__lab_n" "$__lab_code"`,
  '  [ "$__lab_code" -eq 0 ] || exit "$__lab_code"',
  'done',
].join('\n');

/** Output kept per command: its end, where a failure explains itself. */
const maxOutputChars = 16 * 1024;
const tail = (text: string) => (text.length > maxOutputChars ? `…${text.slice(-maxOutputChars)}` : text);

/**
 * Splits the script's output into each command's exit code and output. A command that never
 * finished was cut by the time limit (124) or ended the shell itself (the shell's exit code).
 */
export function parseSolutionRun(
  output: string,
  commands: string[],
  shell: { exitCode: number; timedOut: boolean },
): ApplyResult['commands'] {
  const results: ApplyResult['commands'] = [];
  const pattern = new RegExp(`\\n?${mark} (start|exit) (\\d+)(?: (\\d+))?\\n`, 'g');
  let started: { index: number; from: number } | undefined;
  for (const m of output.matchAll(pattern)) {
    const n = Number(m[2]);
    if (m[1] === 'start') started = { index: n, from: m.index + m[0].length };
    else if (started && started.index === n) {
      results.push({
        command: commands[n - 1] ?? '',
        exitCode: Number(m[3]),
        output: tail(output.slice(started.from, m.index)),
      });
      started = undefined;
    }
  }
  if (started)
    results.push({
      command: commands[started.index - 1] ?? '',
      exitCode: shell.timedOut ? 124 : shell.exitCode || 1,
      output: tail(output.slice(started.from)),
    });
  return results;
}
