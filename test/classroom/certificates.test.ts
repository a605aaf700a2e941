import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createAppServer } from '../../server/app.ts';
import { createLabServer, type LabServer } from '../../server/lab/server.ts';
import { workspacePaths } from '../../server/lab/workspace.ts';
import { BrowserLikeClient } from '../helpers/browser-like-client.ts';
import { distDir, projectRoot } from '../helpers/project.ts';

const run = promisify(execFile);
let dir: string;
let labServer: LabServer;
let server: Server;
let base: string;

/**
 * A catalogue whose threat-model module is one lab with one exercise (security-basics, cut to
 * its first exercise), so that passing it completes the module.
 */
async function oneExerciseModule(labsDir: string): Promise<void> {
  const lab = join(labsDir, 'security-basics');
  await cp(join(projectRoot, 'labs', 'security-basics'), lab, { recursive: true });
  const doc = YAML.parse(await readFile(join(lab, 'lab.yaml'), 'utf8')) as { exercises: unknown[] };
  doc.exercises = doc.exercises.slice(0, 1);
  await writeFile(join(lab, 'lab.yaml'), YAML.stringify(doc));
  for (const locale of ['en', 'es']) {
    const page = join(lab, `lab.${locale}.mdx`);
    const text = await readFile(page, 'utf8');
    await writeFile(page, text.slice(0, text.indexOf('<Exercise id="least-privilege"')));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certificates-'));
  await chmod(dir, 0o711); // learners (other uids) pass through to their workspaces
  await oneExerciseModule(join(dir, 'labs'));
  labServer = await createLabServer({
    dataDir: join(dir, 'data'),
    labsDir: join(dir, 'labs'),
    backend: 'embedded',
    bwrap: false,
  });
  expect(labServer.sessions.labList().map((l) => l.id)).toEqual(['security-basics']);
  server = createAppServer(distDir, labServer.http);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await labServer?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('certificates', () => {
  it('are issued when a module’s last exercise passes, verify, and reject a changed id', async () => {
    const learner = new BrowserLikeClient(base);
    await learner.request('GET', '/api/auth/me');
    await learner.request('POST', '/api/auth/signup', { username: 'grad', password: 'graduation password' });
    expect((await learner.request('GET', '/api/certificates')).json.certificates).toEqual([]);

    const id = String((await learner.request('POST', '/api/sessions', { labId: 'security-basics' })).json.id);
    await labServer.sessions.whenReady(id);
    const kubeconfig = workspacePaths(labServer.sessions.workspace(id)).graderKubeconfig;
    const failed = await learner.request('POST', `/api/sessions/${id}/exercises/restricted-namespace/check?lang=en`);
    expect(failed.json.passed).toBe(false);
    expect((await learner.request('GET', '/api/certificates')).json.certificates).toEqual([]);

    await run('kubectl', ['--kubeconfig', kubeconfig, 'create', 'namespace', 'shop']);
    await run('kubectl', [
      '--kubeconfig',
      kubeconfig,
      'label',
      'namespace',
      'shop',
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
    expect(
      (await learner.request('POST', `/api/sessions/${id}/exercises/restricted-namespace/check?lang=en`)).json.passed,
    ).toBe(true);

    // Issued from the progress event, just after the check answers.
    let certificates: Array<{ id: string; module: string; name: string; verificationId: string; verifyUrl: string }> =
      [];
    for (let i = 0; i < 200 && certificates.length === 0; i++) {
      certificates = (await learner.request('GET', '/api/certificates')).json.certificates as typeof certificates;
      if (certificates.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(certificates).toHaveLength(1);
    const [cert] = certificates;
    expect(cert).toMatchObject({ module: 'threat-model', name: 'grad' });

    // Anyone can verify it, signed in or not.
    const stranger = new BrowserLikeClient(base);
    const verified = await stranger.request('GET', cert!.verifyUrl);
    expect(verified.status).toBe(200);
    expect(verified.json).toMatchObject({ valid: true, name: 'grad', module: 'threat-model' });

    // One character changed in the certificate id, or in its signature: not valid.
    const [certId, signature] = cert!.verificationId.split('.') as [string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const tampered of [`${flip(certId, 3)}.${signature}`, `${certId}.${flip(signature, 10)}`, certId]) {
      const res = await stranger.request('GET', `/api/certificates/verify/${tampered}`);
      expect(res.status).toBe(404);
      expect(res.json.error).toBe('invalid_certificate');
    }

    // Revoked by an admin (not by the learner): then it no longer verifies.
    expect((await learner.request('POST', `/api/admin/certificates/${cert!.id}/revoke`)).status).toBe(403);
    const admin = new BrowserLikeClient(base);
    await admin.request('GET', '/api/auth/me');
    const adminId = (
      (await admin.request('POST', '/api/auth/signup', { username: 'registrar', password: 'registrar password' })).json
        .account as { id: string }
    ).id;
    await labServer.classroom.setRole(adminId, 'admin');
    expect((await admin.request('POST', `/api/admin/certificates/${cert!.id}/revoke`)).status).toBe(200);
    const revoked = await stranger.request('GET', cert!.verifyUrl);
    expect([revoked.status, revoked.json.error]).toEqual([410, 'revoked']);
  });
});
