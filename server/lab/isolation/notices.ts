import { statfsSync } from 'node:fs';
import { formatBytes } from './limits.ts';
import type { Sandbox, SandboxSession } from './sandbox.ts';

/** What a session had already been told, so each limit is announced once per time it is hit. */
export interface NoticeState {
  oomKills?: number;
  pidsRefused?: number;
  diskFull?: boolean;
  nearProcessLimit?: boolean;
}

/**
 * Messages for the learner's terminals when their session hit a limit since the last look.
 * Terminals do not know the page's language, so each message comes in both.
 */
export function limitNotices(sandbox: Sandbox, session: SandboxSession, state: NoticeState): string[] {
  if (!sandbox.isolated) return [];
  const notices: string[] = [];
  const limits = sandbox.limits;
  const usage = sandbox.usage(session);
  if (state.oomKills !== undefined && usage.oomKills > state.oomKills)
    notices.push(
      `Límite de memoria de la sesión alcanzado (${formatBytes(limits.memoryBytes)}): se detuvo un proceso. / ` +
        `Session memory limit reached (${formatBytes(limits.memoryBytes)}): a process was stopped.`,
    );
  const refusedByCgroup = state.pidsRefused !== undefined && usage.pidsRefused > state.pidsRefused;
  state.oomKills = usage.oomKills;
  state.pidsRefused = usage.pidsRefused;
  // RLIMIT_NPROC (per uid) usually refuses the fork before the pids cgroup does, and leaves no
  // counter behind: the process count tells.
  const near = sandbox.processCount(session) >= limits.processes - 8;
  if (refusedByCgroup || (near && !state.nearProcessLimit))
    notices.push(
      `Límite de ${limits.processes} procesos alcanzado: termina alguno antes de lanzar más. / ` +
        `Process limit of ${limits.processes} reached: end some before starting more.`,
    );
  state.nearProcessLimit = near;
  if (sandbox.diskLimits) {
    let full = false;
    try {
      const fs = statfsSync(session.home);
      full = fs.bavail * fs.bsize < 1024 * 1024 || fs.ffree < 16;
    } catch {
      /* unmounted meanwhile */
    }
    if (full && !state.diskFull)
      notices.push(
        `Tu espacio de trabajo está lleno (${formatBytes(limits.diskBytes)}): borra archivos para seguir. / ` +
          `Your workspace is full (${formatBytes(limits.diskBytes)}): delete files to continue.`,
      );
    state.diskFull = full;
  }
  return notices;
}
