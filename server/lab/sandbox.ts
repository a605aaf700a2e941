import { existsSync } from 'node:fs';
import type { Workspace } from './workspace.ts';

const bwrapPaths = ['/usr/bin/bwrap', '/bin/bwrap'];

export function findBwrap(): string | undefined {
  return bwrapPaths.find((p) => existsSync(p));
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * The bubblewrap command line that confines a learner shell: system folders read-only,
 * only its own workspace writable, its own PID namespace, dies with the server.
 */
export function sandboxCommand(bwrap: string, ws: Workspace, shell: string[]): { file: string; args: string[] } {
  const ro = ['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib64', '/opt']
    .filter((p) => existsSync(p))
    .flatMap((p) => ['--ro-bind', p, p]);
  return {
    file: bwrap,
    args: [
      ...ro,
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--tmpfs',
      '/tmp',
      '--bind',
      ws.root,
      ws.root,
      '--unshare-pid',
      '--unshare-ipc',
      '--die-with-parent',
      '--chdir',
      ws.home,
      '--',
      ...shell,
    ],
  };
}
