import { rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../helpers/server.ts';
import { classDataDir, isRoot, learner, rawRequest, startClassServer, type Learner } from './class-server.ts';

/**
 * The same server without bubblewrap (LAB_BWRAP=off: uid, no capabilities, no_new_privs and
 * `unshare` pid/mount namespaces with a read-only root), and a public https URL.
 */
if (!isRoot && process.env.CI === 'true') throw new Error('the adversarial suite must run as root in CI');

describe.runIf(isRoot)('class server as root without bubblewrap, behind https://labs.example.org', () => {
  let dataDir: string;
  let server: RunningServer;
  let a: Learner;
  let b: Learner;

  beforeAll(async () => {
    dataDir = await classDataDir();
    server = await startClassServer(dataDir, ['--public-url', 'https://labs.example.org'], { LAB_BWRAP: 'off' });
    expect(server.output()).toContain('bubblewrap not installed');
    a = await learner(server.url);
    b = await learner(server.url);
  }, 120_000);

  afterAll(async () => {
    await a?.shell.close();
    await b?.shell.close();
    await server?.stop();
    // Stopped servers have unmounted every HOME; nothing of the class is left on the machine.
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('root in the shell, remount of / or /usr: unprivileged, no capabilities, read-only', async () => {
    expect(Number((await a.shell.exec('id -u')).out.trim())).toBeGreaterThan(0);
    const status = (await a.shell.exec('grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status')).out;
    expect(status).toMatch(/CapEff:\s+0{16}/);
    expect(status).toMatch(/CapBnd:\s+0{16}/);
    expect(status).toMatch(/NoNewPrivs:\s+1/);
    const remount = await a.shell.exec(
      'mount -o remount,rw / 2>&1; mount -o remount,rw,bind /usr 2>&1; touch /usr/x 2>&1',
    );
    expect(remount.out).toMatch(/denied|Read-only|not permitted|must be superuser/i);
    expect(() => statSync('/usr/x')).toThrow();
  });

  it('read B’s HOME and kubeconfig, the database and B’s CA key: refused', async () => {
    for (const path of [
      join(dataDir, 'homes', b.info.id, '.kube', 'config'),
      join(dataDir, 'run', b.info.id, 'kubeconfig'),
      join(dataDir, 'lab.sqlite'),
      join(dataDir, 'sessions', b.info.id, 'cluster', 'cluster-secrets.json'),
    ]) {
      const read = await a.shell.exec(`cat ${path} 2>&1 | head -c 300`);
      expect(read.out, path).toMatch(/Permission denied|No such file/);
    }
  });

  it('see B’s processes: A’s shell has its own pid namespace', async () => {
    await b.shell.exec('sleep 600 & echo started');
    expect((await a.shell.exec('ps -eo args')).out).not.toContain('sleep 600');
  });

  it('the public URL: its Host is served with Secure cookies, a foreign Host is 421', async () => {
    const served = await rawRequest(server.url, { path: '/api/progress', headers: { host: 'labs.example.org' } });
    expect(served.status).toBe(200);
    expect(String(served.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict.*; Secure/);
    const foreign = await rawRequest(server.url, { path: '/api/progress', headers: { host: 'labs.example.org.evil' } });
    expect(foreign.status).toBe(421);
  });
});
