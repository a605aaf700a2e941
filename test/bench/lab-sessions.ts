import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppServer } from '../../server/app.ts';
import { createLabServer, type LabServer } from '../../server/lab/server.ts';
import { workspacePaths } from '../../server/lab/workspace.ts';
import { LabClient, TerminalClient } from '../helpers/lab-client.ts';
import { percentile, report } from './stats.ts';

function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) / 1024;
  } catch {
    return 0;
  }
}

const run = promisify(execFile);

/**
 * Applies the reference solutions of a lab's exercises up to `exerciseId` (each builds on the
 * one before) with the server's kubeconfig, as root: the bench measures checks, not the shell.
 */
async function solveUpTo(lab: LabServer, labId: string, exerciseId: string, workspace: string): Promise<void> {
  const env = { ...process.env, KUBECONFIG: workspacePaths(workspace).graderKubeconfig };
  for (const exercise of lab.sessions.lab(labId).definition.exercises) {
    for (const command of exercise.solution.commands ?? []) await run('sh', ['-c', command], { env, cwd: workspace });
    if (exercise.id === exerciseId) return;
  }
  throw new Error(`lab ${labId} has no exercise ${exerciseId}`);
}

export async function benchLabSessions(): Promise<boolean> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-lab-'));
  const lab = await createLabServer({
    dataDir,
    labsDir: join(import.meta.dirname, '..', '..', 'labs'),
    // One client address opens every session and runs every check: lift the per-address and
    // per-learner limits a class server has, or the bench measures 429s.
    limits: { maxPerLearner: 100, maxSessions: 100, maxPerAddress: 100 },
    apiLimits: {
      createsPerAddress: { burst: 1000, perMinute: 1000 },
      createsPerLearner: { burst: 1000, perMinute: 1000 },
      checksPerLearner: { burst: 1000, perMinute: 1000 },
    },
  });
  const server = createAppServer(join(import.meta.dirname, '..', '..', 'dist'), lab.http);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  // Session ready = API create, cluster up, workspace written, shell prompt on the terminal.
  const ready: number[] = [];
  const idle: Array<{ client: LabClient; terminal: TerminalClient }> = [];
  const rssBefore = rssOf(process.pid);
  for (let i = 0; i < 22; i++) {
    const client = new LabClient(base);
    const t0 = performance.now();
    const info = await client.start('security-basics');
    const terminal = TerminalClient.for(base, info);
    await terminal.opened;
    await terminal.waitFor(/\$ $/);
    if (i >= 2) ready.push(performance.now() - t0);
    idle.push({ client, terminal });
  }
  await new Promise((r) => setTimeout(r, 500));
  const shells = lab.sessions.terminals.count();
  const pids = lab.sessions.terminals.pids();
  const shellRss = pids.reduce((sum, pid) => sum + rssOf(pid), 0) / Math.max(1, pids.length);
  const serverRssPerSession = (rssOf(process.pid) - rssBefore) / idle.length;

  // Keystroke echo: one character to the shell and back through the WebSocket.
  const { terminal } = idle[0]!;
  const echo: number[] = [];
  for (let i = 0; i < 300; i++) {
    const before = terminal.text.length;
    const t0 = performance.now();
    terminal.send({ type: 'data', data: 'x' });
    while (terminal.text.length === before) await new Promise((r) => setImmediate(r));
    echo.push(performance.now() - t0);
  }
  terminal.send({ type: 'data', data: '\u0015' }); // clear the line

  // A check: the least-privilege exercise (three SubjectAccessReviews) on a ready session.
  const checkTimes: number[] = [];
  const firstSession = [...idle][1]!;
  const info = (await firstSession.client.request('POST', '/api/sessions', { labId: 'security-basics' })).json;
  const checked = await lab.sessions.whenReady(String(info.id));
  // Solved first: a failing check waits out its poll (5 s) and would measure that instead.
  await solveUpTo(lab, 'security-basics', 'least-privilege', lab.sessions.workspace(checked.id));
  for (let i = 0; i < 120; i++) {
    const t0 = performance.now();
    const check = await firstSession.client.request(
      'POST',
      `/api/sessions/${checked.id}/exercises/least-privilege/check?lang=en`,
    );
    if (check.status !== 200 || check.json.passed !== true)
      throw new Error(`the solved exercise's check answered ${check.status}: ${JSON.stringify(check.json)}`);
    if (i >= 20) checkTimes.push(performance.now() - t0);
  }

  for (const { terminal: t } of idle) await t.close();
  await lab.close();
  server.closeAllConnections();
  server.close();
  await rm(dataDir, { recursive: true, force: true });
  return report(`Lab sessions (embedded backend, ${shells} idle shells)`, [
    {
      name: 'session ready p50 (incl. shell prompt)',
      value: percentile(ready, 50),
      unit: 'ms',
      target: { op: '<', value: 300 },
    },
    { name: 'session ready p95', value: percentile(ready, 95), unit: 'ms' },
    { name: 'keystroke echo round trip p50', value: percentile(echo, 50), unit: 'ms', target: { op: '<', value: 2 } },
    { name: 'keystroke echo round trip p95', value: percentile(echo, 95), unit: 'ms' },
    { name: 'server RSS per idle session (cluster + terminal)', value: serverRssPerSession, unit: 'MiB' },
    { name: `shell RSS per idle terminal (mean of ${pids.length})`, value: shellRss, unit: 'MiB' },
    {
      name: 'exercise check p50 (3 can-i checks, via the API)',
      value: percentile(checkTimes, 50),
      unit: 'ms',
      target: { op: '<', value: 50 },
    },
    { name: 'exercise check p95', value: percentile(checkTimes, 95), unit: 'ms' },
  ]);
}
