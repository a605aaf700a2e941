import { kindNote, runTool, environment, type PodContext, type ToolResult } from './tools.ts';

/**
 * A very small sh for simulated pods: words with quotes and $VARS, `;`, `&&`, `||`, and the
 * redirections people add to network checks (2>&1, >/dev/null). Pipes, loops and real programs
 * need a container; it says so instead of pretending.
 */

type Token = { word: string } | { op: ';' | '&&' | '||' | '|' };

function tokenize(line: string, env: Map<string, string>): Token[] | string {
  const tokens: Token[] = [];
  let word = '';
  let inWord = false;
  const expand = (text: string) =>
    text.replace(
      /\$(\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
      (_m, _a, braced, bare) => env.get(braced ?? bare) ?? '',
    );
  const push = () => {
    if (inWord) tokens.push({ word });
    word = '';
    inWord = false;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return 'sh: syntax error: unterminated quoted string';
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (ch === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) return 'sh: syntax error: unterminated quoted string';
      word += expand(line.slice(i + 1, end));
      inWord = true;
      i = end;
    } else if (ch === ' ' || ch === '\t') push();
    else if (ch === '#' && !inWord) break;
    else if (ch === '&' && word.endsWith('>')) {
      // 2>&1: a redirection, not a background job.
      word += ch;
      inWord = true;
    } else if (ch === ';' || ch === '|' || ch === '&') {
      push();
      const two = line.slice(i, i + 2);
      if (two === '&&' || two === '||') {
        tokens.push({ op: two });
        i++;
      } else if (ch === ';') tokens.push({ op: ';' });
      else if (ch === '|') tokens.push({ op: '|' });
      else return 'sh: background jobs (&) are not simulated';
    } else if (ch === '$') {
      const m = /^\$(\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|\?)/.exec(line.slice(i));
      if (m) {
        word += m[0] === '$?' ? (env.get('?') ?? '0') : expand(m[0]);
        inWord = true;
        i += m[0].length - 1;
      } else {
        word += ch;
        inWord = true;
      }
    } else {
      word += ch;
      inWord = true;
    }
  }
  push();
  return tokens;
}

export interface ShellState {
  env: Map<string, string>;
  lastExit: number;
  exited: boolean;
}

export function newShellState(ctx: PodContext): ShellState {
  return { env: new Map(environment(ctx)), lastExit: 0, exited: false };
}

const help = `Simulated shell of the embedded cluster. Commands: wget, curl, nc -z, nslookup, cat, hostname, env, id, echo, sleep, exit.\n`;

async function runWords(words: string[], ctx: PodContext, state: ShellState): Promise<ToolResult> {
  // Redirections: 2>&1 merges, >/dev/null and 2>/dev/null discard; anything else is refused.
  let merge = false;
  let dropOut = false;
  let dropErr = false;
  const argv: string[] = [];
  for (const w of words) {
    if (w === '2>&1') merge = true;
    else if (w === '>/dev/null' || w === '1>/dev/null') dropOut = true;
    else if (w === '2>/dev/null') dropErr = true;
    else if (/^\d?>/.test(w) || w.startsWith('<'))
      return { stdout: '', stderr: `sh: redirection "${w}" is not simulated (${kindNote})\n`, exitCode: 2 };
    else argv.push(w);
  }
  const [command] = argv;
  if (!command) return { stdout: '', stderr: '', exitCode: 0 };
  let result: ToolResult;
  if (command === 'exit') {
    state.exited = true;
    result = { stdout: '', stderr: '', exitCode: Number(argv[1] ?? state.lastExit) || 0 };
  } else if (command === 'help') result = { stdout: help, stderr: '', exitCode: 0 };
  else if (command === 'sh' || command === 'bash' || command === 'ash') {
    const script = argv[1] === '-c' ? (argv[2] ?? '') : undefined;
    result =
      script === undefined
        ? { stdout: '', stderr: `sh: nested interactive shells are not simulated\n`, exitCode: 2 }
        : await runLine(script, ctx, state);
  } else if (command === 'export' && argv[1]?.includes('=')) {
    const [k, ...v] = argv[1].split('=');
    state.env.set(k!, v.join('='));
    result = { stdout: '', stderr: '', exitCode: 0 };
  } else {
    result = (await runTool(argv, ctx)) ?? {
      stdout: '',
      stderr: `sh: ${command}: not found\n(${kindNote})\n`,
      exitCode: 127,
    };
  }
  let { stdout, stderr } = result;
  if (merge) {
    stdout += stderr;
    stderr = '';
  }
  if (dropOut) stdout = '';
  if (dropErr) stderr = '';
  return { stdout, stderr, exitCode: result.exitCode };
}

/** Runs one command line; output is collected per command, in order. */
export async function runLine(line: string, ctx: PodContext, state: ShellState): Promise<ToolResult> {
  state.env.set('?', String(state.lastExit));
  const tokens = tokenize(line, state.env);
  if (typeof tokens === 'string') return { stdout: '', stderr: `${tokens}\n`, exitCode: 2 };
  let stdout = '';
  let stderr = '';
  let words: string[] = [];
  let skip = false;
  const flush = async () => {
    if (!skip && words.length) {
      const r = await runWords(words, ctx, state);
      stdout += r.stdout;
      stderr += r.stderr;
      state.lastExit = r.exitCode;
    }
    words = [];
  };
  for (const t of tokens) {
    if (state.exited) break;
    if ('word' in t) {
      words.push(t.word);
      continue;
    }
    if (t.op === '|') return { stdout, stderr: `${stderr}sh: pipes are not simulated (${kindNote})\n`, exitCode: 2 };
    await flush();
    skip = (t.op === '&&' && state.lastExit !== 0) || (t.op === '||' && state.lastExit === 0);
  }
  if (!state.exited) await flush();
  return { stdout, stderr, exitCode: state.lastExit };
}

/** One-shot exec (kubectl exec pod -- cmd args): the argv runs as given, no shell parsing unless it is sh -c. */
export async function execOnce(argv: string[], ctx: PodContext): Promise<ToolResult> {
  const state = newShellState(ctx);
  const [command] = argv;
  if (!command)
    return { stdout: '', stderr: 'error: you must specify at least one command for the container\n', exitCode: 1 };
  if (['sh', 'bash', 'ash', '/bin/sh', '/bin/bash', '/bin/ash'].includes(command) && argv[1] === '-c')
    return runLine(argv[2] ?? '', ctx, state);
  const result = await runTool(argv, ctx);
  if (result) return result;
  if (command === 'help') return { stdout: help, stderr: '', exitCode: 0 };
  return {
    stdout: '',
    stderr: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${command}": executable file not found in $PATH: unknown\n(${kindNote})\n`,
    exitCode: 126,
  };
}
