import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionResourceLimits } from './limits.ts';

/** Counters that tell which limit a session hit (shown to the learner). */
export interface CgroupUsage {
  /** Processes killed by the kernel because the session ran out of memory. */
  oomKills: number;
  /** Forks refused because the session reached its process limit. */
  pidsRefused: number;
}

/** One session's control groups: limits, membership, and a way to kill everything in them. */
export interface SessionCgroup {
  /** The cgroup.procs files a new process writes its pid to (before it drops privileges). */
  readonly procsFiles: string[];
  pids(): number[];
  usage(): CgroupUsage;
  /** Removes the groups once their processes are gone (exiting ones may take a moment). */
  remove(): Promise<void>;
}

export interface CgroupManager {
  readonly version: 1 | 2;
  /** The controllers limits are set with ("pids", "memory", "cpu"). */
  readonly controllers: string[];
  create(sessionId: string, limits: SessionResourceLimits): SessionCgroup;
}

const wanted = ['pids', 'memory', 'cpu'] as const;
const parentName = 'k8s-course-sessions';
const cfsPeriodUs = 100_000;

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function counter(text: string, key: string): number {
  const m = new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

function procsIn(file: string): number[] {
  return read(file)
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

/** Makes a directory and proves we may configure it; undefined when we may not. */
function writableGroup(dir: string, probe: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, probe))) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** rmdir each group, retrying while the kernel finishes tearing down exiting tasks. */
async function removeGroups(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 50 && existsSync(dir); attempt++) {
      try {
        rmdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EBUSY') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}

interface Mount {
  point: string;
  type: string;
  options: string[];
}

function cgroupMounts(): Mount[] {
  return read('/proc/self/mountinfo')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [left, right] = line.split(' - ');
      const point = left!.split(' ')[4]!;
      const [type, , options] = right!.split(' ');
      return { point, type: type!, options: (options ?? '').split(',') };
    })
    .filter((m) => m.type === 'cgroup' || m.type === 'cgroup2');
}

/** Our own cgroup path per v1 controller, and the v2 path ("0::/..."). */
function ownPaths(): { v1: Map<string, string>; v2?: string } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of read('/proc/self/cgroup').split('\n').filter(Boolean)) {
    const [id, controllers, path] = line.split(':', 3) as [string, string, string];
    if (id === '0' && controllers === '') v2 = path;
    else for (const c of controllers.split(',')) v1.set(c, path);
  }
  return { v1, v2 };
}

function v1Manager(): CgroupManager | undefined {
  const own = ownPaths().v1;
  const groups = new Map<string, string>();
  for (const controller of wanted) {
    const mount = cgroupMounts().find((m) => m.type === 'cgroup' && m.options.includes(controller));
    const path = own.get(controller);
    if (!mount || path === undefined) continue;
    // Sessions nest under the server's own group, so whatever limits the server also bounds them.
    const probe = controller === 'pids' ? 'pids.max' : controller === 'memory' ? 'memory.limit_in_bytes' : 'cpu.shares';
    const parent = writableGroup(join(mount.point, path, parentName), probe);
    if (parent) groups.set(controller, parent);
  }
  if (groups.size === 0) return undefined;
  return {
    version: 1,
    controllers: [...groups.keys()],
    create(sessionId, limits) {
      const dirs = new Map<string, string>();
      for (const [controller, parent] of groups) {
        const dir = join(parent, sessionId);
        mkdirSync(dir, { recursive: true });
        dirs.set(controller, dir);
      }
      const set = (controller: string, file: string, value: string | number) => {
        const dir = dirs.get(controller);
        if (dir) writeFileSync(join(dir, file), String(value));
      };
      set('pids', 'pids.max', limits.processes);
      set('memory', 'memory.limit_in_bytes', limits.memoryBytes);
      // With swap accounting on, swap must not become a way around the memory limit.
      if (dirs.has('memory') && existsSync(join(dirs.get('memory')!, 'memory.memsw.limit_in_bytes')))
        set('memory', 'memory.memsw.limit_in_bytes', limits.memoryBytes);
      set('cpu', 'cpu.cfs_period_us', cfsPeriodUs);
      set('cpu', 'cpu.cfs_quota_us', Math.max(1000, Math.round(limits.cpus * cfsPeriodUs)));
      set('cpu', 'cpu.shares', 512);
      const procsFiles = [...dirs.values()].map((d) => join(d, 'cgroup.procs'));
      return {
        procsFiles,
        pids: () => [...new Set(procsFiles.flatMap(procsIn))],
        usage: () => ({
          oomKills: dirs.has('memory') ? counter(read(join(dirs.get('memory')!, 'memory.oom_control')), 'oom_kill') : 0,
          pidsRefused: dirs.has('pids') ? counter(read(join(dirs.get('pids')!, 'pids.events')), 'max') : 0,
        }),
        remove: () => removeGroups([...dirs.values()]),
      };
    },
  };
}

function v2Manager(): CgroupManager | undefined {
  const own = ownPaths().v2;
  const mount = cgroupMounts().find((m) => m.type === 'cgroup2');
  if (own === undefined || !mount) return undefined;
  // Only a delegated subtree: the server's group already hands pids/memory/cpu to its children.
  const base = join(mount.point, own);
  const delegated = read(join(base, 'cgroup.subtree_control')).trim().split(/\s+/);
  const controllers = wanted.filter((c) => delegated.includes(c));
  if (controllers.length === 0) return undefined;
  const parent = writableGroup(join(base, parentName), 'cgroup.procs');
  if (!parent) return undefined;
  try {
    writeFileSync(join(parent, 'cgroup.subtree_control'), controllers.map((c) => `+${c}`).join(' '));
  } catch {
    return undefined;
  }
  return {
    version: 2,
    controllers,
    create(sessionId, limits) {
      const dir = join(parent, sessionId);
      mkdirSync(dir, { recursive: true });
      const set = (file: string, value: string | number) => {
        if (existsSync(join(dir, file))) writeFileSync(join(dir, file), String(value));
      };
      set('pids.max', limits.processes);
      set('memory.max', limits.memoryBytes);
      set('memory.swap.max', 0);
      set('cpu.max', `${Math.max(1000, Math.round(limits.cpus * cfsPeriodUs))} ${cfsPeriodUs}`);
      set('cpu.weight', 50);
      const procs = join(dir, 'cgroup.procs');
      return {
        procsFiles: [procs],
        pids: () => procsIn(procs),
        usage: () => ({
          oomKills: counter(read(join(dir, 'memory.events')), 'oom_kill'),
          pidsRefused: counter(read(join(dir, 'pids.events')), 'max'),
        }),
        remove: () => {
          try {
            if (existsSync(join(dir, 'cgroup.kill'))) writeFileSync(join(dir, 'cgroup.kill'), '1');
          } catch {
            /* gone already */
          }
          return removeGroups([dir]);
        },
      };
    },
  };
}

/** The writable cgroup hierarchy of this machine (v2 when delegated, else v1), or undefined. */
export function detectCgroups(): CgroupManager | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return v2Manager() ?? v1Manager();
}
