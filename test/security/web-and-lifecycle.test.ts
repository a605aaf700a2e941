import { rm } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesOf } from '../../server/lab/isolation/processes.ts';
import { LabClient, TerminalClient } from '../helpers/lab-client.ts';
import type { RunningServer } from '../helpers/server.ts';
import {
  classDataDir,
  fdCount,
  isRoot,
  learner,
  listeningPorts,
  rawRequest,
  Shell,
  stalledTerminal,
  startClassServer,
  type Learner,
} from './class-server.ts';

/**
 * Web and lifecycle attacks on a class server (root, loopback), from a browser's side and a
 * learner's shell: foreign Host, cross-origin writes, broken cookies, a capacity flood, a
 * stalled WebSocket, parallel resets, symlink plants across reset and restart, kill -9.
 */
if (!isRoot && process.env.CI === 'true') throw new Error('the adversarial suite must run as root in CI');

const maxPerIp = 6;
const flags = ['--max-sessions', '12', '--max-sessions-per-ip', String(maxPerIp)];

function sessionCount(dataDir: string): number {
  const db = new DatabaseSync(join(dataDir, 'lab.sqlite'), { readOnly: true });
  try {
    return Number((db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n);
  } finally {
    db.close();
  }
}

describe.runIf(isRoot)('class server as root: web and lifecycle attacks', () => {
  let dataDir: string;
  let server: RunningServer;
  let a: Learner;
  let port: string;
  let canaryPath: string;
  const canary = 'canary: the server’s own file\n';

  beforeAll(async () => {
    dataDir = await classDataDir();
    server = await startClassServer(dataDir, flags);
    port = new URL(server.url).port;
    a = await learner(server.url);
    canaryPath = join(dataDir, 'canary');
    writeFileSync(canaryPath, canary, { mode: 0o600 });
  }, 120_000);

  afterAll(async () => {
    await a?.shell.close();
    await server?.stop();
    // Stopped servers have unmounted every HOME; nothing of the class is left on the machine.
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('foreign Host header (DNS rebinding): 421 before any session is created', async () => {
    const before = sessionCount(dataDir);
    const create = await rawRequest(server.url, {
      method: 'POST',
      path: '/api/sessions',
      headers: {
        host: `attacker.example:${port}`,
        origin: `http://attacker.example:${port}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ labId: 'security-basics' }),
    });
    expect(create.status).toBe(421);
    expect(create.headers['set-cookie']).toBeUndefined();
    const page = await rawRequest(server.url, { path: '/', headers: { host: 'attacker.example' } });
    expect(page.status).toBe(421);
    expect(sessionCount(dataDir)).toBe(before);
    const ws = new TerminalClient(
      `ws://127.0.0.1:${port}/api/sessions/${a.info.id}/terminals/x?token=${a.info.token}`,
      `http://attacker.example:${port}`,
    );
    await expect(ws.opened).rejects.toThrow(/HTTP 4\d\d/);
  });

  it('cross-origin POST and DELETE riding the learner’s cookie: refused with 403', async () => {
    const cookie = a.client.cookie;
    const base = { host: `127.0.0.1:${port}`, cookie, 'content-type': 'application/json' };
    const attempts = [
      { method: 'POST', path: '/api/sessions', headers: { ...base, origin: 'http://attacker.example' } },
      { method: 'POST', path: '/api/sessions', headers: { ...base, 'sec-fetch-site': 'cross-site' } },
      {
        method: 'POST',
        path: `/api/sessions/${a.info.id}/reset`,
        headers: { ...base, origin: 'http://127.0.0.1.attacker.example' },
      },
      { method: 'DELETE', path: `/api/sessions/${a.info.id}`, headers: { ...base, 'sec-fetch-site': 'same-site' } },
    ];
    for (const attempt of attempts) {
      const res = await rawRequest(server.url, { ...attempt, body: JSON.stringify({ labId: 'security-basics' }) });
      expect(res.status, `${attempt.method} ${attempt.path} ${JSON.stringify(attempt.headers)} ${res.body}`).toBe(403);
    }
    expect((await a.client.request('GET', `/api/sessions/${a.info.id}`)).json.state).toBe('ready');
  });

  it('malformed cookies: never a 500', async () => {
    for (const cookie of [
      'lab_learner=%E0%A4%A',
      '=;=;;',
      `lab_learner=${'x'.repeat(9000)}`,
      'lab_learner="\u00ff\u00fe"',
      'lab_learner=a; lab_learner=%%%',
    ]) {
      for (const path of ['/api/progress', `/api/sessions/${a.info.id}`]) {
        const res = await rawRequest(server.url, { path, headers: { cookie: Buffer.from(cookie).toString('latin1') } });
        expect(res.status, `${cookie.slice(0, 30)} on ${path}`).toBeLessThan(500);
      }
    }
  });

  it('capacity flood from one IP (48 cookieless POSTs): capped per address, the rest 429', async () => {
    const results = await Promise.all(
      Array.from({ length: 48 }, () => new LabClient(server.url)).map(async (client) => ({
        client,
        res: await client.request('POST', '/api/sessions', { labId: 'security-basics' }),
      })),
    );
    const created = results.filter((r) => r.res.status === 201);
    const refused = results.filter((r) => r.res.status === 429);
    expect(created.length).toBeLessThanOrEqual(maxPerIp - 1); // A already holds one
    expect(refused.length).toBe(48 - created.length);
    expect(JSON.stringify(refused[0]!.res.json)).toMatch(/network address|Too many/);
    for (const { client, res } of created) {
      const id = String(res.json.id);
      await fetch(`${server.url}api/sessions/${id}`, { method: 'DELETE', headers: { cookie: client.cookie } });
    }
  }, 60_000);

  it('stalled WebSocket reader: dropped at the send bound, not buffered', async () => {
    // ~8 MB of output, beyond kernel socket buffers and the server's 1 MiB bound per socket.
    const output = 6_000_000 * (4 / 3);
    const stalled = await stalledTerminal(
      server.url,
      a.info,
      'flood',
      'head -c 6000000 /dev/zero | base64 -w 1000; echo over > ~/flood-done',
    );
    await a.shell.exec('until [ -s ~/flood-done ]; do sleep 0.3; done', 80_000);
    // Closed by the server while stalled: what arrives is only what the kernel had buffered.
    const received = await stalled.drain();
    expect(received).toBeLessThan(output * 0.9);
    // The session is fine: its other terminals still answer.
    expect((await a.shell.exec('echo alive')).out).toContain('alive');
  }, 120_000);

  it('five parallel resets: one API server for the session, no leaked ports or fds', async () => {
    const pid = server.child.pid!;
    const portsBefore = await listeningPorts(pid);
    const fdsBefore = await fdCount(pid);
    await a.shell.close();
    const resets = await Promise.all(
      Array.from({ length: 5 }, () => a.client.request('POST', `/api/sessions/${a.info.id}/reset`)),
    );
    for (const r of resets) expect(r.status).toBe(200);
    await waitReady(a);
    await new Promise((r) => setTimeout(r, 500));
    const portsAfter = await listeningPorts(pid);
    expect(portsAfter.length).toBe(portsBefore.length);
    expect(await fdCount(pid)).toBeLessThanOrEqual(fdsBefore + 10);
    a.shell = await Shell.open(server.url, a.info);
  }, 90_000);

  it('symlink plants in HOME, then reset: nothing outside the session is written or read', async () => {
    await a.shell.exec(
      `ln -sf ${canaryPath} ~/.kube/config; rm -rf ~/.lab; ln -s /etc ~/.lab; ln -s ${canaryPath} ~/bashrc`,
    );
    await a.shell.close();
    const reset = await a.client.request('POST', `/api/sessions/${a.info.id}/reset`);
    expect(reset.status).toBe(200);
    await waitReady(a);
    expect(readFileSync(canaryPath, 'utf8')).toBe(canary);
    a.shell = await Shell.open(server.url, a.info);
    expect((await a.shell.exec('test -L ~/.kube/config && echo link || echo file')).out.trim()).toBe('file');
  }, 60_000);

  it('setsid and nohup daemons end with the session', async () => {
    const b = await learner(server.url);
    const uid = Number((await b.shell.exec('id -u')).out.trim());
    await b.shell.exec('setsid sleep 900 < /dev/null > /dev/null 2>&1 & nohup sleep 901 > /dev/null 2>&1 & disown -a');
    expect(processesOf(uid).length).toBeGreaterThanOrEqual(2);
    await b.shell.close();
    expect((await b.client.request('DELETE', `/api/sessions/${b.info.id}`)).status).toBe(200);
    expect(processesOf(uid)).toEqual([]);
  }, 60_000);

  it('kill -9 right after a 201, plants in HOME, then restart: the object is back, nothing outside is touched', async () => {
    const created = await a.shell.exec('kubectl create configmap acked --from-literal=k=v');
    expect(created.out).toContain('configmap/acked created');
    await a.shell.exec(
      `ln -sf ${canaryPath} ~/.kube/config.lock; rm -f ~/.kube/config; ln -s ${canaryPath} ~/.kube/config`,
    );
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    server = await startClassServer(dataDir, flags);
    // The restarted server listens elsewhere (port 0); the learner's browser keeps its cookie.
    const cookie = a.client.cookie;
    a.client = new LabClient(server.url);
    a.client.cookie = cookie;
    await waitReady(a).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${server.output()}`);
    });
    expect(readFileSync(canaryPath, 'utf8')).toBe(canary);
    a.shell = await Shell.open(server.url, a.info);
    const got = await a.shell.exec(
      `kubectl --kubeconfig ${join(dataDir, 'run', a.info.id, 'kubeconfig')} get configmap acked -o jsonpath='{.data.k}'`,
    );
    expect(got.out.trim()).toBe('v');
  }, 90_000);
});

async function waitReady(l: Learner): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const res = await l.client.request('GET', `/api/sessions/${l.info.id}`).catch(() => undefined);
    if (res?.json.state === 'ready') {
      l.info = res.json as unknown as Learner['info'];
      return;
    }
    if (res?.json.state === 'failed') throw new Error(String(res.json.error));
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('session did not become ready');
}
