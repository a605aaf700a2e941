import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../server/lab/backends/embedded.ts';
import { loadLabs } from '../../server/labs/catalog.ts';
import { SessionManager } from '../../server/lab/sessions.ts';
import { LabStore } from '../../server/lab/store.ts';
import { openClassroomStore } from '../../server/lab/store/open.ts';
import { projectRoot } from '../helpers/project.ts';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

function childPids(): number[] {
  const mine = String(process.pid);
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === mine;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function fds(): { total: number; sockets: number } {
  const list = readdirSync('/proc/self/fd');
  let sockets = 0;
  for (const fd of list) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      /* closed meanwhile */
    }
  }
  return { total: list.length, sockets };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('100 embedded sessions created and ended', () => {
  it('leaves no processes, file descriptors or ports behind, and memory comes back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'leaks-'));
    dirs.push(dataDir);
    const store = new LabStore(join(dataDir, 'lab.sqlite'));
    const sessions = new SessionManager({
      store,
      progress: await openClassroomStore(undefined, store),
      labs: await loadLabs(join(projectRoot, 'labs')),
      backends: [new EmbeddedBackend()],
      dataDir,
      limits: { maxPerLearner: 200, maxSessions: 200 },
    });
    const cycle = async (i: number) => {
      const info = await sessions.create(`learner-${i}`, 'security-basics');
      await sessions.whenReady(info.id);
      const terminal = sessions.terminal(info.id, 'main');
      await new Promise<void>((resolve) => {
        const start = Date.now();
        const poll = () => (terminal.seq > 0 || Date.now() - start > 3000 ? resolve() : setTimeout(poll, 5));
        poll();
      });
      await sessions.end(info.id);
    };
    for (let i = 0; i < 5; i++) await cycle(i); // warm up: modules, schemas, caches
    await new Promise((r) => setTimeout(r, 300));
    gc();
    const before = { pids: childPids().length, fds: fds(), heap: process.memoryUsage().heapUsed };
    for (let i = 0; i < 100; i++) await cycle(100 + i);
    await new Promise((r) => setTimeout(r, 500));
    gc();
    gc();
    const after = { pids: childPids().length, fds: fds(), heap: process.memoryUsage().heapUsed };
    console.log(`before ${JSON.stringify(before)} after ${JSON.stringify(after)}`);
    expect(after.pids).toBe(before.pids);
    expect(after.fds.sockets).toBeLessThanOrEqual(before.fds.sockets);
    expect(after.fds.total).toBeLessThanOrEqual(before.fds.total + 2);
    expect(after.heap).toBeLessThan(before.heap * 1.1);
    expect(readdirSync(join(dataDir, 'sessions'))).toEqual([]);
    await sessions.shutdown();
    store.close();
  }, 240_000);
});
