import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { defaultUidBase, uidRangeSize } from './processes.ts';

/**
 * Learner uids are machine-wide: two lab servers (or `labs test` beside `npm start`) that
 * both picked the first uid of the range would kill each other's shells, since preparing a
 * session SIGKILLs every process of its uid. So each uid is claimed in a root-only folder
 * shared by every server on the machine: one file per uid holding the owner's pid. A claim
 * whose owner is gone (crash, kill -9) is free again.
 */
export const defaultClaimsDir = '/run/k8s-security-course/uids';

const lockStaleMs = 10_000;

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class UidClaims {
  private readonly mine = new Set<number>();
  private readonly dir: string;
  private readonly base: number;

  constructor(dir = defaultClaimsDir, base = defaultUidBase) {
    this.dir = dir;
    this.base = base;
  }

  /** Runs `fn` while holding the folder's lock (claims are read-check-write). */
  private locked<T>(fn: () => T): T {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const lock = join(this.dir, '.lock');
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lock, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = ownerOf(lock);
        let age: number;
        try {
          age = Date.now() - statSync(lock).mtimeMs;
        } catch {
          continue;
        }
        // The lock is held for microseconds; only a process that died inside leaves it behind.
        if ((owner !== undefined && !Number.isNaN(owner) && !alive(owner)) || age > lockStaleMs)
          rmSync(lock, { force: true });
        else if (attempt > 2000) throw new Error(`learner uid claims are locked by pid ${owner}`, { cause: error });
        else sleepSync(5);
      }
    }
    try {
      return fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }

  /** Whether `uid` is free for this process: unclaimed, or claimed by a process that is gone. */
  private takeable(uid: number): boolean {
    if (this.mine.has(uid)) return false;
    const owner = ownerOf(join(this.dir, String(uid)));
    // Our own pid without our claim is another manager in this process (tests): taken.
    return owner === undefined || (owner !== process.pid && !alive(owner));
  }

  private take(uid: number): number {
    const path = join(this.dir, String(uid));
    rmSync(path, { force: true });
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    this.mine.add(uid);
    return uid;
  }

  /** Claims `preferred` (a resumed session's uid) when free, else the lowest free uid. */
  claim(preferred?: number | null): number {
    return this.locked(() => {
      if (preferred !== undefined && preferred !== null && this.takeable(preferred)) return this.take(preferred);
      for (let uid = this.base; uid < this.base + uidRangeSize; uid++) if (this.takeable(uid)) return this.take(uid);
      throw new Error('no free learner uid');
    });
  }

  /** Gives a uid back once every process of it is gone. */
  release(uid: number): void {
    if (!this.mine.delete(uid)) return;
    this.locked(() => {
      const path = join(this.dir, String(uid));
      if (ownerOf(path) === process.pid) rmSync(path, { force: true });
    });
  }

  /** The uids this process holds (tests). */
  held(): number[] {
    return [...this.mine];
  }

  /** Claims of other live processes (tests, diagnostics). */
  othersClaims(): number[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .filter((uid) => !this.mine.has(uid) && !this.takeable(uid));
  }
}
