import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/**
 * Workspace disk limits: each session's HOME is its own small ext4 file system in a
 * sparse image file, loop-mounted nosuid,nodev. Full means "No space left on device"
 * for that learner only; it also caps the number of files (inodes).
 */

function mountedAt(point: string): boolean {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  return mountinfo.split('\n').some((line) => line.split(' ')[4] === point);
}

async function makeImage(image: string, bytes: number, uid: number, gid: number): Promise<void> {
  await execa('truncate', ['-s', String(bytes), image]);
  await execa('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `root_owner=${uid}:${gid},lazy_itable_init=1`, image]);
}

/** Mounts (creating on first use) the session's image at `home`, owned by the learner. */
export async function mountHome(image: string, home: string, bytes: number, uid: number, gid: number): Promise<void> {
  if (!existsSync(image)) await makeImage(image, bytes, uid, gid);
  await mkdir(home, { recursive: true, mode: 0o700 });
  if (!mountedAt(home)) {
    await execa('mount', ['-t', 'ext4', '-o', 'loop,nosuid,nodev', image, home]);
    // An empty lost+found at the top of HOME only confuses learners; fsck recreates it when needed.
    await rmdir(join(home, 'lost+found')).catch(() => undefined);
  }
  await chmod(home, 0o700);
}

/** Unmounts a session's HOME (its processes are already gone); lazily if something still holds it. */
export async function unmountHome(home: string): Promise<void> {
  if (!mountedAt(home)) return;
  const result = await execa('umount', [home], { reject: false });
  if (result.exitCode !== 0) await execa('umount', ['-l', home], { reject: false });
}

/** Proves loop mounts work here (root, loop devices, mkfs.ext4) by mounting a tiny image once. */
export async function loopMountsWork(scratchParent: string): Promise<boolean> {
  if (process.getuid?.() !== 0 || !existsSync('/dev/loop-control')) return false;
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(scratchParent, '.disk-probe-'));
    const image = join(dir, 'probe.img');
    const point = join(dir, 'mnt');
    await mountHome(image, point, 8 * 1024 * 1024, 0, 0);
    await unmountHome(point);
    return true;
  } catch {
    return false;
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
