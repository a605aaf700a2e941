import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import type { LabSummary } from '../labs/catalog.ts';
import type { Sandbox, SandboxSession } from './isolation/sandbox.ts';

/**
 * A session's folders. Only `home` belongs to the learner; the server never follows a
 * path inside it with its own rights (it reads and writes there through the sandbox).
 *
 *   <data>/sessions/<id>/   root only: cluster state and CA keys, the grader's kubeconfig, HOME's disk image
 *   <data>/homes/<id>/      the learner's HOME (its own file system when disk limits are on)
 *   <data>/run/<id>/        root-owned, readable by the learner: shell rc, kubeconfig for script checks
 */
export interface Workspace {
  id: string;
  root: string;
  home: string;
  runDir: string;
  /** The learner's kubeconfig (theirs to change: contexts, namespaces). */
  kubeconfig: string;
  /** The server's copy, which graders use: the learner cannot point it elsewhere. */
  graderKubeconfig: string;
  /** The same, readable by the learner's uid, for script checks run in the sandbox. */
  sandboxKubeconfig: string;
  /** Written by the learner's shell: evidence of what they typed, never proof. */
  commandLog: string;
  bashrc: string;
  image: string;
}

/** Paths of the session whose server folder is `root` (<data>/sessions/<id>). */
export function workspacePaths(root: string): Workspace {
  const id = basename(root);
  const dataDir = dirname(dirname(root));
  const home = join(dataDir, 'homes', id);
  const runDir = join(dataDir, 'run', id);
  return {
    id,
    root,
    home,
    runDir,
    kubeconfig: join(home, '.kube', 'config'),
    graderKubeconfig: join(root, 'kubeconfig'),
    sandboxKubeconfig: join(runDir, 'kubeconfig'),
    commandLog: join(home, '.lab', 'commands.log'),
    bashrc: join(runDir, 'bashrc'),
    image: join(root, 'home.img'),
  };
}

/**
 * Creates the data folder with the permissions isolation relies on: learners may pass
 * through it to their own HOME, but list nothing and read nothing else.
 */
export async function prepareDataDir(dataDir: string, isolated: boolean): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  for (const [sub, mode] of [
    ['sessions', 0o700],
    ['homes', 0o711],
    ['run', 0o711],
  ] as const) {
    await mkdir(join(dataDir, sub), { recursive: true });
    if (isolated) await chmod(join(dataDir, sub), mode);
  }
  if (!isolated) return;
  await chmod(dataDir, 0o711);
  // Every folder above must let other users through, or learner shells cannot reach HOME.
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0)
      throw new Error(
        `learners cannot reach ${dataDir}: ${dir} is not searchable by other users (chmod o+x ${dir}, or pick another --data-dir)`,
      );
    if (dir === dirname(dir)) break;
  }
}

export function sandboxSession(ws: Workspace, uid: number): SandboxSession {
  return { id: ws.id, uid, gid: uid, home: ws.home, runDir: ws.runDir, image: ws.image };
}

/**
 * The learner shell's startup file (root-owned, read-only for the learner). After every
 * command, PROMPT_COMMAND appends the command line, exit code and folder to the command log.
 */
export function bashrc(): string {
  return [
    '# Lab shell (generated)',
    '[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc',
    'export HISTFILE="$HOME/.bash_history" HISTCONTROL= HISTTIMEFORMAT=',
    'mkdir -p -- "${LAB_COMMAND_LOG%/*}" 2>/dev/null',
    'alias k=kubectl',
    '# Tab completion: bash-completion where installed, kubectl (and its alias k) always.',
    '[ -f /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion',
    'if ! declare -F _get_comp_words_by_ref >/dev/null; then',
    "  # Without bash-completion: the one helper kubectl's completion needs, without its word-break options.",
    '  _get_comp_words_by_ref() { cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cword=$COMP_CWORD; words=("${COMP_WORDS[@]}"); }',
    'fi',
    'if command -v kubectl >/dev/null 2>&1; then',
    '  . <(kubectl completion bash 2>/dev/null)',
    '  complete -o default -F __start_kubectl k',
    'fi',
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

/** The environment of every learner process of a session. */
export function learnerEnv(ws: Pick<Workspace, 'kubeconfig' | 'commandLog'>): Record<string, string> {
  return { KUBECONFIG: ws.kubeconfig, LAB_COMMAND_LOG: ws.commandLog, LANG: process.env.LANG ?? 'C.UTF-8' };
}

async function labFiles(dir: string): Promise<Array<{ path: string; content: Buffer; mode: number }>> {
  const files: Array<{ path: string; content: Buffer; mode: number }> = [];
  const walk = async (folder: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const mode = (await stat(path)).mode & 0o111 ? 0o755 : 0o644;
        files.push({ path: relative(dir, path), content: await readFile(path), mode });
      }
    }
  };
  await walk(dir);
  return files;
}

/**
 * Fills a session's folders: the server's kubeconfig, the run folder, and in HOME (as the
 * learner) the lab's starter files and kubeconfig. A resumed session keeps the learner's
 * files and kubeconfig unless the cluster's address changed.
 */
export async function prepareWorkspace(
  ws: Workspace,
  session: SandboxSession,
  sandbox: Sandbox,
  lab: LabSummary,
  kubeconfig: string,
  fresh: boolean,
): Promise<void> {
  await mkdir(ws.root, { recursive: true, mode: 0o700 });
  await rm(ws.graderKubeconfig, { force: true });
  await writeFile(ws.graderKubeconfig, kubeconfig, { mode: 0o600, flag: 'wx' });
  await sandbox.writeRunFile(session, 'kubeconfig', kubeconfig);
  await sandbox.writeRunFile(session, 'bashrc', bashrc());
  const home = (path: string) => relative(ws.home, path);
  if (fresh) {
    await sandbox.writeFiles(session, [
      ...(await labFiles(join(lab.dir, 'files'))),
      { path: home(ws.kubeconfig), content: kubeconfig, mode: 0o600 },
      { path: home(ws.commandLog), content: '', mode: 0o644 },
    ]);
    return;
  }
  const server = /server: (\S+)/.exec(kubeconfig)?.[1] ?? '';
  const current = await sandbox.readFile(session, ws.kubeconfig, 1024 * 1024);
  if (!current.ok || !current.data.toString('utf8').includes(`server: ${server}`))
    await sandbox.writeFiles(session, [{ path: home(ws.kubeconfig), content: kubeconfig, mode: 0o600 }]);
}

export interface LoggedCommand {
  at: number;
  exit: number;
  cwd: string;
  command: string;
}

/** Parses a command log (learner-written: anything malformed is skipped). */
export function parseCommandLog(text: string): LoggedCommand[] {
  // One line per command: epoch ms, exit code, base64 folder, base64 command line.
  return text
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f.length === 4 && /^\d+$/.test(f[0]!) && /^-?\d+$/.test(f[1]!))
    .map(([at, exit, cwd, command]) => ({
      at: Number(at),
      exit: Number(exit),
      cwd: Buffer.from(cwd!, 'base64').toString('utf8'),
      command: Buffer.from(command!, 'base64').toString('utf8'),
    }));
}

/** Largest command log graders read: the learner writes it, so it is read with a bound. */
export const commandLogLimit = 4 * 1024 * 1024;

/** The commands the learner ran in this session, oldest first (read as the learner). */
export async function readCommandLog(ws: Pick<Workspace, 'commandLog'>, session: SandboxSession, sandbox: Sandbox) {
  const result = await sandbox.readFile(session, ws.commandLog, commandLogLimit);
  return result.ok ? parseCommandLog(result.data.toString('utf8')) : [];
}
