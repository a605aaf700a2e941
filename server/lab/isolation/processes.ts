import { readdirSync, readFileSync } from 'node:fs';

/**
 * Learner uids: one per open session, from a range no real account uses
 * (systemd leaves 1879048192–2147483647 unassigned; servers before machine-wide claims
 * used 1900000000 up, so this range starts elsewhere), claimed machine-wide
 * (uid-claims.ts). A uid is free again when its session ends and every process it
 * owned is gone.
 */
export const defaultUidBase = 1_950_000_000;
export const uidRangeSize = 100_000;

/** Whether a uid belongs to the learner range (to tell learner connections from others). */
export function isLearnerUid(uid: number, base = defaultUidBase): boolean {
  return uid >= base && uid < base + uidRangeSize;
}

/** Live (not zombie) processes whose real uid is `uid`, in any namespace (from the host's /proc). */
export function processesOf(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const line = /^Uid:\s+(\d+)/m.exec(status);
      if (line && Number(line[1]) === uid && !/^State:\s+Z/m.test(status)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/**
 * SIGKILLs every process of a uid until none is left: a process that forks while
 * we scan is caught on the next pass, and a killed process cannot fork again.
 */
export async function killAllOf(uid: number): Promise<number> {
  let killed = 0;
  for (let pass = 0; pass < 100; pass++) {
    const pids = processesOf(uid);
    if (pids.length === 0) return killed;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        /* gone already */
      }
    }
    // SIGKILL is delivered asynchronously; give the kernel a moment before looking again.
    await new Promise((resolve) => setTimeout(resolve, pass < 5 ? 5 : 50));
  }
  const left = processesOf(uid);
  if (left.length) throw new Error(`processes of uid ${uid} survived SIGKILL: ${left.join(', ')}`);
  return killed;
}
