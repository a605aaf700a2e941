import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, open, realpath, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { detectCgroups, type CgroupManager, type CgroupUsage, type SessionCgroup } from './cgroups.ts';
import { learnerEntry, type LearnerIdentity } from './commands.ts';
import { loopMountsWork, mountHome, unmountHome } from './disk.ts';
import { defaultResourceLimits, formatBytes, type SessionResourceLimits } from './limits.ts';
import { linkTools, toolsDir } from './kubectl-pin.ts';
import { killAllOf, processesOf } from './processes.ts';

const bwrapPaths = ['/usr/bin/bwrap', '/bin/bwrap'];

export function findBwrap(): string | undefined {
  return bwrapPaths.find((p) => existsSync(p));
}

/** One session as the sandbox sees it. */
export interface SandboxSession extends LearnerIdentity {
  id: string;
  /** Disk image of HOME (server-private), when disk limits are on. */
  image: string;
}

export interface RunOptions {
  env: Record<string, string>;
  input?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Output beyond this is dropped (the learner controls what a script prints). */
  maxOutputBytes?: number;
}

export interface RunResult {
  exitCode: number;
  timedOut: boolean;
  stdout: Buffer;
  /** The signal that ended the process, when one did (a limit, a timeout, a session ending). */
  signal?: string;
  /** stdout and stderr interleaved, capped. */
  all: string;
}

export type LearnerFileResult =
  { ok: true; data: Buffer } | { ok: false; reason: 'missing' | 'outside-home' | 'not-a-file' | 'too-large' };

/** The path learners' processes see as PATH: system folders only (the server's own PATH may not exist inside). */
export const learnerPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const readScript = [
  'p=$(realpath -e -- "$1" 2>/dev/null) || exit 3',
  'h=$(realpath -e -- "$HOME") || exit 3',
  'case "$p" in "$h"/*) ;; *) exit 4;; esac',
  '[ -f "$p" ] || exit 5',
  'exec head -c "$2" -- "$p"',
].join('\n');

// Writes as the learner, and even so never through anything planted in HOME: a folder on
// the way that is a symlink is refused (so nothing is created outside HOME), and the file is
// written new and renamed over whatever was there (a symlink is replaced, never followed).
const writeScript = [
  'umask 077',
  'set -f',
  'h=$(realpath -e -- "$HOME") || exit 1',
  'while IFS= read -r path && IFS= read -r mode && IFS= read -r data; do',
  '  case "$path" in /*|..|../*|*/../*|*/..) exit 4;; esac',
  '  d=$h; rest=$(dirname -- "$path")',
  '  if [ "$rest" != . ]; then',
  '    IFS=/',
  '    for part in $rest; do',
  '      [ -n "$part" ] || continue',
  '      d=$d/$part',
  '      if [ -L "$d" ]; then echo "$path: $part is a symbolic link; not writing through it" >&2; exit 4; fi',
  '      [ -d "$d" ] || mkdir -- "$d" || exit 1',
  '    done',
  '    unset IFS',
  '  fi',
  '  t=$(mktemp -- "$d/.lab-write.XXXXXX") || exit 1',
  '  if ! { printf %s "$data" | base64 -d > "$t" && chmod "$mode" -- "$t" && mv -f -T -- "$t" "$d/${path##*/}"; }; then',
  '    rm -f -- "$t"; exit 1',
  '  fi',
  'done',
].join('\n');

/** A write into HOME that failed; `refused` when a path on the way was a symlink (or not inside HOME). */
export class WorkspaceWriteError extends Error {
  readonly refused: boolean;
  constructor(message: string, refused: boolean) {
    super(message);
    this.refused = refused;
  }
}

export interface SandboxOptions {
  dataDir: string;
  limits?: Partial<SessionResourceLimits>;
  /** bubblewrap binary; false to never use it; default: found on PATH. */
  bwrap?: string | false;
  /** Learner isolation even though the server is root is turned off (never in production). */
  singleUser?: boolean;
  /** HOME as its own file system (the disk limit); off for the dev server, which may die uncleanly. */
  diskLimits?: boolean;
}

/**
 * Runs learner processes: as root, each session gets its own uid, namespaces, limits and
 * HOME file system; as another user (a learner's own laptop), processes run as that user.
 * Everything the server does inside a learner's HOME goes through here, as the learner.
 */
export class Sandbox {
  readonly isolated: boolean;
  readonly bwrap?: string;
  readonly cgroups?: CgroupManager;
  readonly diskLimits: boolean;
  readonly limits: SessionResourceLimits;
  private readonly groups = new Map<string, SessionCgroup>();

  private constructor(options: {
    isolated: boolean;
    bwrap?: string;
    cgroups?: CgroupManager;
    diskLimits: boolean;
    limits: SessionResourceLimits;
  }) {
    this.isolated = options.isolated;
    this.bwrap = options.bwrap;
    this.cgroups = options.cgroups;
    this.diskLimits = options.diskLimits;
    this.limits = options.limits;
  }

  /** Shells run as the server's own user, without limits (tests, and servers that are not root). */
  static singleUser(limits?: Partial<SessionResourceLimits>): Sandbox {
    return new Sandbox({ isolated: false, diskLimits: false, limits: { ...defaultResourceLimits, ...limits } });
  }

  /** Finds out what this machine allows (root, bubblewrap, cgroups, loop mounts), proving each once. */
  static async detect(options: SandboxOptions): Promise<Sandbox> {
    const limits = { ...defaultResourceLimits, ...options.limits };
    const isolated = process.getuid?.() === 0 && !options.singleUser;
    if (!isolated) return Sandbox.singleUser(limits);
    const candidate = options.bwrap === false ? undefined : (options.bwrap ?? findBwrap());
    const bwrap = candidate && (await bwrapWorks(candidate)) ? candidate : undefined;
    return new Sandbox({
      isolated,
      bwrap,
      cgroups: detectCgroups(),
      diskLimits: options.diskLimits !== false && (await loopMountsWork(options.dataDir)),
      limits,
    });
  }

  /** What learners get, for the start-up banner and /api/info. */
  describe(): string[] {
    if (!this.isolated)
      return [
        'Single-learner mode: the server is not root, so lab shells run as the current user with its permissions.',
        'Run the server as root to share it with a class (one unprivileged uid and sandbox per session).',
      ];
    const l = this.limits;
    const memory = this.cgroups?.controllers.includes('memory') ? 'cgroup' : 'per-process rlimit';
    return [
      `Learner isolation: one unprivileged uid per session, no capabilities, no_new_privs, ${
        this.bwrap ? 'bubblewrap namespaces' : 'pid/mount namespaces (bubblewrap not installed)'
      }.`,
      `Per-session limits: ${l.processes} processes, ${l.openFiles} open files, files up to ${formatBytes(l.fileSizeBytes)}, ` +
        `memory ${formatBytes(l.memoryBytes)} (${memory}), CPU ${l.cpus} core(s)${this.cgroups?.controllers.includes('cpu') ? '' : ' (not enforced: no cpu cgroup)'}, ` +
        `workspace ${this.diskLimits ? formatBytes(l.diskBytes) : 'not limited (no loop devices)'}.` +
        (this.cgroups
          ? ` cgroup v${this.cgroups.version}: ${this.cgroups.controllers.join(', ')}.`
          : ' No writable cgroups.'),
    ];
  }

  /**
   * Gets a session ready to run processes: no leftover process of its uid, its HOME
   * (mounted, owned by the learner), its run folder and cgroups. Safe to repeat (restart).
   */
  async prepare(session: SandboxSession): Promise<void> {
    if (!this.isolated) {
      await mkdir(session.home, { recursive: true });
      await mkdir(session.runDir, { recursive: true });
      await linkTools(session.runDir);
      return;
    }
    await killAllOf(session.uid);
    if (this.diskLimits) await mountHome(session.image, session.home, this.limits.diskBytes, session.uid, session.gid);
    else await mkdir(session.home, { recursive: true, mode: 0o700 });
    await chown(session.home, session.uid, session.gid);
    await chmod(session.home, 0o700);
    await mkdir(session.runDir, { recursive: true, mode: 0o750 });
    await chown(session.runDir, 0, session.gid);
    await chmod(session.runDir, 0o750);
    await linkTools(session.runDir);
    const passwd = readFileSync('/etc/passwd', 'utf8').replace(/\n?$/, '\n');
    const group = readFileSync('/etc/group', 'utf8').replace(/\n?$/, '\n');
    await this.writeRunFile(
      session,
      'passwd',
      `${passwd}learner:x:${session.uid}:${session.gid}:Lab learner:${session.home}:/bin/bash\n`,
    );
    await this.writeRunFile(session, 'group', `${group}learner:x:${session.gid}:\n`);
    if (this.cgroups && !this.groups.has(session.id))
      this.groups.set(session.id, this.cgroups.create(session.id, this.limits));
  }

  /**
   * Gives a resumed session's files to its new uid (its old one went to another server
   * meanwhile). Its processes are gone; `chown -R` changes symlinks, never what they point to.
   */
  async adoptHome(session: SandboxSession): Promise<void> {
    if (!this.isolated) return;
    await new Promise<void>((resolvePromise, reject) => {
      const child = spawn('chown', ['-R', '-P', '-h', `${session.uid}:${session.gid}`, '--', session.home], {
        stdio: 'ignore',
      });
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolvePromise() : reject(new Error(`chown of HOME failed (${code})`)),
      );
    });
  }

  /** Writes a server-owned file the learner can read but not change (shell rc, grader kubeconfig). */
  async writeRunFile(session: SandboxSession, name: string, content: string): Promise<string> {
    const path = join(session.runDir, name);
    // The run folder is root's; replace rather than write through whatever is there.
    await rm(path, { force: true });
    await writeFile(path, content, { mode: 0o640, flag: 'wx' });
    if (this.isolated) await chown(path, 0, session.gid);
    return path;
  }

  /** Command line and environment for a learner process (a terminal's shell, a check's script). */
  entry(session: SandboxSession, argv: string[], env: Record<string, string>) {
    // The session's tools folder comes first: its kubectl matches the 1.34 lab cluster.
    const tools = toolsDir(session.runDir);
    const base = { ...env, HOME: session.home, USER: 'learner', LOGNAME: 'learner', SHELL: '/bin/bash' };
    if (!this.isolated)
      return { file: argv[0]!, args: argv.slice(1), env: { ...base, PATH: `${tools}:${env.PATH ?? learnerPath}` } };
    const group = this.groups.get(session.id);
    const entry = learnerEntry({
      identity: session,
      limits: this.limits,
      cgroupProcs: group?.procsFiles ?? [],
      memoryCgroup: this.cgroups?.controllers.includes('memory') ?? false,
      bwrap: this.bwrap,
      argv,
    });
    return { file: entry.file, args: entry.args, env: { ...base, PATH: `${tools}:${learnerPath}`, ...entry.env } };
  }

  /** Runs a program in the session's sandbox as the learner and collects its output. */
  run(session: SandboxSession, argv: string[], options: RunOptions): Promise<RunResult> {
    const entry = this.entry(session, argv, options.env);
    const max = options.maxOutputBytes ?? 1024 * 1024;
    return new Promise((resolvePromise, reject) => {
      const child = spawn(entry.file, entry.args, {
        cwd: session.home,
        env: entry.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const stdout: Buffer[] = [];
      let all = '';
      let size = 0;
      const collect = (chunk: Buffer, out: boolean) => {
        if (size >= max) return;
        const part = chunk.subarray(0, max - size);
        size += part.length;
        if (out) stdout.push(part);
        all += part.toString('utf8');
      };
      child.stdout.on('data', (c: Buffer) => collect(c, true));
      child.stderr.on('data', (c: Buffer) => collect(c, false));
      let timedOut = false;
      const killGroup = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, options.timeoutMs);
      options.signal?.addEventListener('abort', killGroup, { once: true });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', killGroup);
        resolvePromise({
          exitCode: code ?? (signal ? 128 : -1),
          ...(signal ? { signal } : {}),
          timedOut,
          stdout: Buffer.concat(stdout),
          all,
        });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
  }

  /**
   * Reads a file of the learner's HOME without following anything with the server's
   * rights: as root the read runs as the learner; paths resolving outside HOME are refused.
   */
  async readFile(session: SandboxSession, path: string, maxBytes: number): Promise<LearnerFileResult> {
    const target = resolve(session.home, path);
    if (!this.isolated) return readOwnFile(session.home, target, maxBytes);
    const result = await this.run(session, ['/bin/sh', '-c', readScript, 'lab-read', target, String(maxBytes + 1)], {
      env: {},
      timeoutMs: 10_000,
      maxOutputBytes: maxBytes + 1,
    });
    if (result.exitCode === 3) return { ok: false, reason: 'missing' };
    if (result.exitCode === 4) return { ok: false, reason: 'outside-home' };
    if (result.exitCode === 5) return { ok: false, reason: 'not-a-file' };
    if (result.exitCode !== 0)
      throw new Error(
        `reading ${path} failed (exit ${result.exitCode}${result.signal ? `, ${result.signal}` : ''}): ${result.all}`,
      );
    if (result.stdout.length > maxBytes) return { ok: false, reason: 'too-large' };
    return { ok: true, data: result.stdout };
  }

  /** Writes files into HOME (paths relative to it) as the learner, so planted symlinks gain nothing. */
  async writeFiles(session: SandboxSession, files: Array<{ path: string; content: string | Buffer; mode?: number }>) {
    if (files.length === 0) return;
    for (const f of files)
      if (f.path.includes('\n') || !isInside(session.home, resolve(session.home, f.path)))
        throw new Error(`not a path inside HOME: ${f.path}`);
    const input = files
      .map((f) => `${f.path}\n${(f.mode ?? 0o644).toString(8)}\n${Buffer.from(f.content).toString('base64')}\n`)
      .join('');
    const result = await this.run(session, ['/bin/sh', '-c', writeScript, 'lab-write'], {
      env: {},
      input,
      timeoutMs: 30_000,
    });
    if (result.exitCode !== 0)
      throw new WorkspaceWriteError(
        `could not write ${files.map((f) => f.path).join(', ')} in the workspace: ${result.all.trim()}`,
        result.exitCode === 4,
      );
  }

  /** Which limits the session has hit so far (cgroup counters). */
  usage(session: SandboxSession): CgroupUsage {
    return this.groups.get(session.id)?.usage() ?? { oomKills: 0, pidsRefused: 0 };
  }

  /** How many processes the session has: one cgroup file where there are cgroups, else a /proc scan. */
  processCount(session: SandboxSession): number {
    const group = this.groups.get(session.id);
    return group ? group.pids().length : processesOf(session.uid).length;
  }

  /** Ends every process of the session, daemons and `setsid` ones included. */
  async killAll(session: SandboxSession): Promise<void> {
    if (!this.isolated) return;
    const group = this.groups.get(session.id);
    for (const pid of group?.pids() ?? []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await killAllOf(session.uid);
  }

  /** Stops the session's processes and undoes prepare(); with `discard`, its HOME goes too. */
  async release(session: SandboxSession, options: { discard: boolean }): Promise<void> {
    await this.killAll(session);
    await this.groups.get(session.id)?.remove();
    this.groups.delete(session.id);
    if (this.isolated && this.diskLimits) await unmountHome(session.home);
    if (options.discard) {
      await rm(session.home, { recursive: true, force: true });
      await rm(session.runDir, { recursive: true, force: true });
      await rm(session.image, { force: true });
    }
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep);
}

/** Single-learner mode: the server runs as the learner, so an in-process read is the same right. */
async function readOwnFile(home: string, target: string, maxBytes: number): Promise<LearnerFileResult> {
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    return { ok: false, reason: 'missing' };
  }
  if (!isInside(await realpath(home), real)) return { ok: false, reason: 'outside-home' };
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    () => undefined,
  );
  if (!handle) return { ok: false, reason: 'missing' };
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, reason: 'not-a-file' };
    if (stat.size > maxBytes) return { ok: false, reason: 'too-large' };
    const buffer = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes + 1, 0);
    if (bytesRead > maxBytes) return { ok: false, reason: 'too-large' };
    return { ok: true, data: buffer.subarray(0, bytesRead) };
  } finally {
    await handle.close();
  }
}

/** bubblewrap needs unprivileged user namespaces once the uid is dropped; prove it works. */
async function bwrapWorks(bwrap: string): Promise<boolean> {
  const nobody = 65534;
  return new Promise((resolvePromise) => {
    const child = spawn(
      'setpriv',
      [
        `--reuid=${nobody}`,
        `--regid=${nobody}`,
        '--clear-groups',
        '--no-new-privs',
        '--',
        bwrap,
        '--unshare-user',
        '--disable-userns',
        '--unshare-pid',
        '--ro-bind',
        '/',
        '/',
        '--proc',
        '/proc',
        '--',
        'true',
      ],
      { stdio: 'ignore' },
    );
    child.on('error', () => resolvePromise(false));
    child.on('close', (code) => resolvePromise(code === 0));
  });
}
