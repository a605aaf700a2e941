import { existsSync, lstatSync } from 'node:fs';
import type { SessionResourceLimits } from './limits.ts';

/**
 * The command lines that start a learner process. Read left to right, each program
 * narrows what the next may do, then execs it:
 *
 *   sh (root)      joins the session's cgroups
 *   unshare        (without bubblewrap) new pid/mount/ipc/uts namespaces; the root
 *   sh (root)      file system read-only, private /tmp, /var/tmp, /dev/shm, /run/lock
 *   prlimit        rlimits: processes, open files, file size, no core dumps (and memory without cgroups)
 *   setpriv        the session's uid/gid, no supplementary groups, no capabilities, no_new_privs
 *   bwrap          (where installed) an unprivileged user namespace, its own pid/ipc/uts namespaces,
 *                  only /usr, /etc, /opt and the session's HOME visible, no nested user namespaces
 *   the program    bash, or a grader's script
 */

export interface LearnerIdentity {
  uid: number;
  gid: number;
  home: string;
  /** Root-owned folder the learner may read (shell rc, grader kubeconfig, passwd). */
  runDir: string;
}

export interface EntryOptions {
  identity: LearnerIdentity;
  limits: SessionResourceLimits;
  /** cgroup.procs files to join first (empty without cgroups). */
  cgroupProcs: string[];
  /** Whether memory is limited by a cgroup (else by RLIMIT_AS per process). */
  memoryCgroup: boolean;
  bwrap?: string;
  argv: string[];
}

const joinCgroups =
  'IFS=:; for f in $LAB_CGROUP_PROCS; do echo $$ > "$f" || exit 125; done; unset IFS LAB_CGROUP_PROCS; exec "$@"';

/**
 * Root, inside fresh namespaces: private temp folders, HOME and the run folder carried over
 * (the data folder may itself sit in /tmp), then everything else read-only.
 */
function confineScript(tmpBytes: number): string {
  const tmpfs = `-t tmpfs -o size=${tmpBytes},mode=1777,nosuid,nodev tmpfs`;
  return [
    'set -e',
    `mount ${tmpfs} /dev/shm`,
    'mkdir /dev/shm/.lab-home /dev/shm/.lab-run',
    'mount --bind "$HOME" /dev/shm/.lab-home',
    'mount --bind "$LAB_RUN_DIR" /dev/shm/.lab-run',
    `for d in /tmp /var/tmp /run/lock; do if [ -d "$d" ]; then mount ${tmpfs} "$d"; fi; done`,
    'mkdir -p "$HOME" "$LAB_RUN_DIR"',
    'mount --move /dev/shm/.lab-home "$HOME"',
    'mount --move /dev/shm/.lab-run "$LAB_RUN_DIR"',
    'rmdir /dev/shm/.lab-home /dev/shm/.lab-run',
    'mount -o remount,bind,ro "$LAB_RUN_DIR"',
    'mount --bind "$LAB_RUN_DIR/passwd" /etc/passwd',
    'mount --bind "$LAB_RUN_DIR/group" /etc/group',
    'mount -o remount,bind,ro /',
    'hostname lab',
    'exec "$@"',
  ].join('\n');
}

/** /bin, /lib, … are symlinks into /usr on merged-/usr systems and real folders elsewhere. */
function topLevel(path: string): string[] {
  if (!existsSync(path)) return [];
  const stat = lstatSync(path);
  return stat.isSymbolicLink() ? ['--symlink', `usr${path}`, path] : ['--ro-bind', path, path];
}

function bwrapArgs(options: EntryOptions, tmpBytes: number): string[] {
  const { uid, gid, home, runDir } = options.identity;
  return [
    '--unshare-user',
    '--uid',
    String(uid),
    '--gid',
    String(gid),
    '--disable-userns',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--hostname',
    'lab',
    '--unshare-cgroup-try',
    '--die-with-parent',
    '--ro-bind',
    '/usr',
    '/usr',
    ...['/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'].flatMap(topLevel),
    '--ro-bind',
    '/etc',
    '/etc',
    '--ro-bind-try',
    '/opt',
    '/opt',
    '--ro-bind-try',
    `${runDir}/passwd`,
    '/etc/passwd',
    '--ro-bind-try',
    `${runDir}/group`,
    '/etc/group',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(tmpBytes),
    '--tmpfs',
    '/tmp',
    '--size',
    String(tmpBytes),
    '--tmpfs',
    '/var/tmp',
    '--ro-bind',
    runDir,
    runDir,
    '--bind',
    home,
    home,
    '--remount-ro',
    '/',
    '--chdir',
    home,
    '--',
  ];
}

/** The full command line for one learner process (see the comment at the top). */
export function learnerEntry(options: EntryOptions): { file: string; args: string[]; env: Record<string, string> } {
  const { uid, gid, runDir } = options.identity;
  const { limits } = options;
  // Private temp folders count against memory; keep them well inside the session's share.
  const tmpBytes = Math.max(16 * 1024 * 1024, Math.floor(limits.memoryBytes / 4));
  const prlimit = [
    'prlimit',
    `--nproc=${limits.processes}`,
    `--nofile=${limits.openFiles}`,
    `--fsize=${limits.fileSizeBytes}`,
    '--core=0',
    ...(options.memoryCgroup ? [] : [`--as=${limits.memoryBytes}`]),
    '--',
  ];
  const setpriv = [
    'setpriv',
    `--reuid=${uid}`,
    `--regid=${gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
  ];
  const confine = options.bwrap
    ? [...prlimit, ...setpriv, options.bwrap, ...bwrapArgs(options, tmpBytes)]
    : [
        'unshare',
        '--pid',
        '--fork',
        '--kill-child',
        '--mount-proc',
        '--mount',
        '--propagation',
        'private',
        '--ipc',
        '--uts',
        '--',
        '/bin/sh',
        '-c',
        confineScript(tmpBytes),
        'lab-confine',
        ...prlimit,
        ...setpriv,
      ];
  return {
    file: '/bin/sh',
    args: ['-c', joinCgroups, 'lab-enter', ...confine, ...options.argv],
    env: { LAB_CGROUP_PROCS: options.cgroupProcs.join(':'), LAB_RUN_DIR: runDir },
  };
}
