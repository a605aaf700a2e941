import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabSummary } from '../labs/catalog.ts';

export interface Workspace {
  root: string;
  home: string;
  kubeconfig: string;
  kubeCache: string;
  commandLog: string;
  bashrc: string;
}

export function workspacePaths(root: string): Workspace {
  const home = join(root, 'home');
  return {
    root,
    home,
    kubeconfig: join(home, '.kube', 'config'),
    kubeCache: join(home, '.kube', 'cache'),
    commandLog: join(root, 'commands.log'),
    bashrc: join(root, 'bashrc'),
  };
}

/**
 * The learner shell's startup file. After every command, PROMPT_COMMAND appends the
 * command line, exit code and folder to the session's command log as JSON, for graders.
 */
function bashrc(ws: Workspace): string {
  const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  return [
    '# Lab shell (generated)',
    '[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc',
    `export HOME=${q(ws.home)}`,
    `export KUBECONFIG=${q(ws.kubeconfig)}`,
    `export LAB_COMMAND_LOG=${q(ws.commandLog)}`,
    'export HISTFILE="$HOME/.bash_history" HISTCONTROL= HISTTIMEFORMAT=',
    'alias k=kubectl',
    "PS1='\\[\\e[1;32m\\]learner\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]$ '",
    'cd "$HOME"',
    '__lab_last=',
    '__lab_log() {',
    '  local code=$? line cmd',
    '  line=$(history 1)',
    '  if [ -n "$line" ] && [ "$line" != "$__lab_last" ]; then',
    '    __lab_last=$line',
    '    cmd=$(printf "%s" "$line" | sed -E "s/^ *[0-9]+\\*? +//")',
    '    printf "%s\\t%d\\t%s\\t%s\\n" "$(date +%s%3N)" "$code" "$(printf "%s" "$PWD" | base64 -w0)" "$(printf "%s" "$cmd" | base64 -w0)" >> "$LAB_COMMAND_LOG"',
    '  fi',
    '  return $code',
    '}',
    'PROMPT_COMMAND=__lab_log',
    '',
  ].join('\n');
}

/** Creates (or recreates) a session folder: HOME with the lab's files, kubeconfig, command log. */
export async function prepareWorkspace(root: string, lab: LabSummary, kubeconfig: string): Promise<Workspace> {
  const ws = workspacePaths(root);
  await mkdir(join(ws.home, '.kube', 'cache'), { recursive: true });
  await cp(join(lab.dir, 'files'), ws.home, { recursive: true, force: false, errorOnExist: false }).catch(
    () => undefined,
  );
  await writeFile(ws.kubeconfig, kubeconfig, { mode: 0o600 });
  await writeFile(ws.bashrc, bashrc(ws));
  await writeFile(ws.commandLog, '', { flag: 'a' });
  return ws;
}

export async function resetWorkspace(root: string): Promise<void> {
  await rm(join(root, 'home'), { recursive: true, force: true });
  await rm(join(root, 'commands.log'), { force: true });
}

export interface LoggedCommand {
  at: number;
  exit: number;
  cwd: string;
  command: string;
}

/** The commands the learner ran in this session, oldest first. */
export async function readCommandLog(root: string): Promise<LoggedCommand[]> {
  let text: string;
  try {
    text = await readFile(workspacePaths(root).commandLog, 'utf8');
  } catch {
    return [];
  }
  // One line per command: epoch ms, exit code, base64 folder, base64 command line.
  return text
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f.length === 4)
    .map(([at, exit, cwd, command]) => ({
      at: Number(at),
      exit: Number(exit),
      cwd: Buffer.from(cwd!, 'base64').toString('utf8'),
      command: Buffer.from(command!, 'base64').toString('utf8'),
    }));
}
