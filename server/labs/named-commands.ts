/**
 * The programs a lab tells the learner to run: the first word of every command of its
 * instructions' <Command> blocks and shell code blocks, and of its reference solutions. Each
 * must be in the learner shell or in the lab's `tools` (test/labs/lab-tools.test.ts).
 */

/** Shell builtins and keywords: never a program to install. */
export const shellBuiltins = new Set(
  (
    '. : [ [[ ! { } ( ) alias bg break builtin case cd command continue declare do done echo elif else esac eval ' +
    'exec exit export false fg fi for function hash history if in jobs kill let local popd printf pushd pwd read ' +
    'readonly return select set shift source test then time trap true type ulimit umask unalias unset until wait while'
  ).split(' '),
);

/** Words that run the next word as the command (`sudo kubectl …`, `env A=b kubectl …`). */
const prefixes = new Set([
  'sudo',
  'env',
  'time',
  'nohup',
  'exec',
  'command',
  'builtin',
  '!',
  'then',
  'do',
  'else',
  '{',
  '(',
]);

/** The command lines of one text, split at unquoted ; | || && & and newlines, and each $( … ) on its own. */
export function commandLines(script: string): string[] {
  const lines: string[] = [];
  const walk = (text: string): void => {
    let current = '';
    let quote: "'" | '"' | undefined;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (quote === "'") {
        if (c === "'") quote = undefined;
        current += c;
        continue;
      }
      if (c === '\\') {
        current += c + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if ((c === '$' && text[i + 1] === '(') || c === '`') {
        // A command substitution runs in the learner's shell too: its commands count.
        const close = c === '`' ? text.indexOf('`', i + 1) : matchingParen(text, i + 1);
        const inner = text.slice(i + (c === '`' ? 1 : 2), close < 0 ? text.length : close);
        if (!inner.startsWith('(')) walk(inner); // $(( arithmetic )) is not a command
        current += ' SUBST ';
        i = close < 0 ? text.length : close;
        continue;
      }
      if (quote === '"') {
        if (c === '"') quote = undefined;
        current += c;
        continue;
      }
      if (c === "'" || c === '"') {
        quote = c;
        current += c;
        continue;
      }
      if (c === ';' || c === '|' || c === '&' || c === '\n') {
        lines.push(current);
        current = '';
        continue;
      }
      current += c;
    }
    lines.push(current);
  };
  walk(script);
  return lines.map((l) => l.trim()).filter(Boolean);
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** The program a command line runs (assignments, redirections and prefixes such as sudo skipped). */
export function programOf(line: string): string | undefined {
  const words = line.split(/\s+/).filter(Boolean);
  for (const raw of words) {
    // A subshell or group opens with ( or {: the command is what follows.
    const word = raw.replace(/^[({]+/, '');
    if (!word) continue;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) continue; // VAR=value
    if (/^\d*[<>]/.test(word)) continue; // a redirection
    if (prefixes.has(word)) continue;
    if (word === 'SUBST') return undefined; // the program is a substitution's output
    return word.replace(/^["']|["']$/g, '');
  }
  return undefined;
}

/** Shell code in MDX instructions: <Command> bodies ({"…"} expressions too) and ```sh / bash / shell / console blocks. */
export function instructionScripts(mdx: string): string[] {
  const scripts: string[] = [];
  for (const m of mdx.matchAll(/<Command\b[^>]*>([\s\S]*?)<\/Command>/g)) {
    const body = m[1]!.trim();
    const expression = /^\{\s*("(?:[^"\\]|\\.)*")\s*\}$/.exec(body);
    scripts.push(expression ? (JSON.parse(expression[1]!) as string) : body);
  }
  for (const m of mdx.matchAll(/^```(?:sh|bash|shell|console)\b[^\n]*\n([\s\S]*?)^```/gm))
    scripts.push(
      m[1]!
        .split('\n')
        .map((l) => l.replace(/^\$ /, ''))
        .join('\n'),
    );
  return scripts;
}

/** Every program a set of scripts runs, with the script that names it. */
export function namedPrograms(scripts: string[]): Array<{ program: string; script: string }> {
  const found: Array<{ program: string; script: string }> = [];
  for (const script of scripts)
    for (const line of commandLines(script)) {
      const program = programOf(line);
      if (program && !shellBuiltins.has(program)) found.push({ program, script });
    }
  return found;
}
