import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { chmod, cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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
import { PDFDocument } from 'pdf-lib';
import { pdfLimits } from '../../server/classroom/certificate-routes.ts';
import { certificatesCommand } from '../../server/cli/certificates.ts';
import { BrowserLikeClient } from '../helpers/browser-like-client.ts';
import { pdfPageTexts } from '../helpers/pdf-text.ts';
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

type Described = {
  id: string;
  module: string;
  name: string;
  verificationId: string;
  verifyUrl: string;
  verifyApi: string;
  pageUrl: { es: string; en: string };
  pdfUrl: { es: string; en: string };
};

const titles = {
  es: 'Modelo de amenazas y responsabilidad compartida',
  en: 'Threat model and shared responsibility',
};

/** An HTML page's visible text, tags dropped and entities of the page's own escaping undone. */
function visibleText(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

let cert: Described;
const stranger = () => new BrowserLikeClient(base);

describe('certificates', () => {
  it('are issued when a module’s last exercise passes, and verify', async () => {
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
    let certificates: Described[] = [];
    for (let i = 0; i < 200 && certificates.length === 0; i++) {
      certificates = (await learner.request('GET', '/api/certificates')).json.certificates as Described[];
      if (certificates.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(certificates).toHaveLength(1);
    cert = certificates[0]!;
    expect(cert).toMatchObject({ module: 'threat-model', name: 'grad', moduleTitle: titles });
    expect(cert.verifyUrl).toBe(`${base}/verify/${cert.verificationId}`);
    // The signing key lives in the database only, which is its owner's alone (no learner uid reads it).
    const { mode } = await stat(join(dir, 'data', 'lab.sqlite'));
    expect(mode & 0o077).toBe(0);

    // Anyone can verify it, signed in or not: as JSON, and as a page in the reader's language.
    const verified = await stranger().request('GET', cert.verifyApi);
    expect(verified.status).toBe(200);
    expect(verified.json).toMatchObject({ valid: true, name: 'grad', module: 'threat-model' });
    const es = await stranger().request('GET', new URL(cert.verifyUrl).pathname, undefined, {
      headers: { 'accept-language': 'es-ES,es;q=0.9,en;q=0.5' },
    });
    expect(es.status).toBe(200);
    expect(es.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(es.text).toContain('<html lang="es">');
    expect(es.text).toContain('data-state="valid"');
    const day = new Date().toISOString().slice(0, 10);
    const esDate = new Intl.DateTimeFormat('es', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(day));
    expect(visibleText(es.text)).toContain(`Certificado válido grad completó el módulo «${titles.es}» el ${esDate}.`);
    expect(visibleText(es.text)).not.toMatch(/Valid|certificate|module|View this/);
    const en = await stranger().request('GET', `${new URL(cert.verifyUrl).pathname}?lang=en`, undefined, {
      headers: { 'accept-language': 'es' },
    });
    expect(en.status).toBe(200);
    expect(en.text).toContain('<html lang="en">');
    expect(visibleText(en.text)).toContain(`Valid certificate grad completed the module “${titles.en}” on`);
  });

  it('has a page and a PDF in the learner’s language', async () => {
    for (const locale of ['es', 'en'] as const) {
      const page = await stranger().request('GET', cert.pageUrl[locale]);
      expect(page.status).toBe(200);
      expect(page.text).toContain(`<html lang="${locale}">`);
      const text = visibleText(page.text);
      expect(text).toContain('grad');
      expect(text).toContain(titles[locale]);
      expect(text).toContain(cert.verifyUrl);
      expect(text).toContain(locale === 'es' ? 'Certificado de finalización' : 'Certificate of completion');
      expect(text).toContain(locale === 'es' ? 'Descargar el certificado en PDF' : 'Download the certificate as PDF');
      expect(page.text).toContain(`href="${cert.pdfUrl[locale].replace('&', '&amp;')}"`);

      const res = await fetch(`${base}${cert.pdfUrl[locale]}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="certificate-threat-model-${locale}.pdf"`,
      );
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
      const doc = await PDFDocument.load(bytes);
      expect(doc.getPageCount()).toBe(1);
      expect(doc.getTitle()).toContain(titles[locale]);
      const [pageText] = await pdfPageTexts(bytes);
      const lines = pageText!.split('\n');
      expect(lines).toContain('grad');
      expect(lines).toContain(titles[locale]);
      expect(lines).toContain(locale === 'es' ? 'Certificado de finalización' : 'Certificate of completion');
      expect(lines).toContain(`${locale === 'es' ? 'Verificación' : 'Verify at'}: ${cert.verifyUrl}`);
      const date = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date());
      expect(lines).toContain(`${locale === 'es' ? 'Fecha' : 'Date'}: ${date}`);
      if (locale === 'es') expect(pageText).not.toMatch(/Certificate|completed|Verify/);
    }
  });

  it('rejects a changed id', async () => {
    // One character changed in the certificate id, or in its signature: not valid.
    const [certId, signature] = cert.verificationId.split('.') as [string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const tampered of [`${flip(certId, 3)}.${signature}`, `${certId}.${flip(signature, 10)}`, certId]) {
      const res = await stranger().request('GET', `/api/certificates/verify/${tampered}`);
      expect(res.status).toBe(404);
      expect(res.json.error).toBe('invalid_certificate');
      const page = await stranger().request('GET', `/verify/${tampered}?lang=es`);
      expect(page.status).toBe(404);
      expect(page.text).toContain('data-state="invalid"');
      expect(visibleText(page.text)).toContain('Certificado no válido');
      const learnerPage = await stranger().request('GET', `/en/certificate/${tampered}`);
      expect([learnerPage.status, visibleText(learnerPage.text).includes('Invalid certificate')]).toEqual([404, true]);
      expect((await fetch(`${base}/api/certificates/${tampered}/pdf?lang=en`)).status).toBe(404);
    }
  });

  it('is revoked by an admin, and then shows revoked', async () => {
    const learner = new BrowserLikeClient(base);
    await learner.request('GET', '/api/auth/me');
    await learner.request('POST', '/api/auth/signin', { login: 'grad', password: 'graduation password' });
    expect((await learner.request('POST', `/api/admin/certificates/${cert.id}/revoke`)).status).toBe(403);
    const admin = new BrowserLikeClient(base);
    await admin.request('GET', '/api/auth/me');
    const adminId = (
      (await admin.request('POST', '/api/auth/signup', { username: 'registrar', password: 'registrar password' })).json
        .account as { id: string }
    ).id;
    expect((await admin.request('POST', `/api/admin/certificates/${cert.id}/revoke`)).status).toBe(403);
    await labServer.classroom.setRole(adminId, 'admin');
    expect(
      (await admin.request('POST', `/api/admin/certificates/${cert.id}/revoke`, undefined, { csrf: false })).status,
    ).toBe(403);
    expect((await admin.request('POST', `/api/admin/certificates/${cert.id}/revoke`)).status).toBe(200);
    const revoked = await stranger().request('GET', cert.verifyApi);
    expect([revoked.status, revoked.json.error]).toEqual([410, 'revoked']);
    for (const [locale, words] of [
      ['es', 'Certificado revocado'],
      ['en', 'Revoked certificate'],
    ] as const) {
      const page = await stranger().request('GET', `/verify/${cert.verificationId}?lang=${locale}`);
      expect(page.status).toBe(410);
      expect(page.text).toContain('data-state="revoked"');
      expect(visibleText(page.text)).toContain(words);
      expect((await stranger().request('GET', cert.pageUrl[locale])).status).toBe(410);
      expect((await fetch(`${base}${cert.pdfUrl[locale]}`)).status).toBe(410);
    }
    expect((await learner.request('GET', '/api/certificates')).json.certificates).toMatchObject([{ revoked: true }]);
  });

  it('is issued for a module passed anonymously, once the learner signs up', async () => {
    const learner = new BrowserLikeClient(base);
    await learner.request('GET', '/api/auth/me');
    const anonymous = learner.jar.get('lab_learner')!;
    await labServer.classroom.recordAttempt(anonymous, 'security-basics', 'restricted-namespace', true, []);
    await learner.request('POST', '/api/auth/signup', { username: 'early-bird', password: 'early bird password' });
    const listed = (await learner.request('GET', '/api/certificates')).json.certificates as Described[];
    expect(listed).toMatchObject([{ module: 'threat-model', name: 'early-bird' }]);
    expect((await stranger().request('GET', listed[0]!.verifyApi)).json).toMatchObject({ valid: true });
  });

  it('makes PDFs for one address at a bounded rate', async () => {
    const [listed] = (await (async () => {
      const learner = new BrowserLikeClient(base);
      await learner.request('GET', '/api/auth/me');
      await learner.request('POST', '/api/auth/signin', { login: 'early-bird', password: 'early bird password' });
      return (await learner.request('GET', '/api/certificates')).json.certificates;
    })()) as Described[];
    const statuses: number[] = [];
    for (let i = 0; i < pdfLimits.burst + 5 && !statuses.includes(429); i++)
      statuses.push((await fetch(`${base}${listed!.pdfUrl.en}`)).status);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(pdfLimits.burst);
  });

  it('is listed and revoked with `labs certificates`', async () => {
    const account = await labServer.classroom.accountByLogin('registrar');
    const issued = await labServer.classroom.issueCertificate({
      accountId: account!.id,
      module: 'threat-model',
      name: 'registrar',
    });
    const cli = (sub: string, ...args: string[]) =>
      certificatesCommand(sub, [...args, '--data-dir', join(dir, 'data')], projectRoot);
    expect(await cli('list', '--username', 'registrar')).toMatch(
      new RegExp(`^${issued.id}\tthreat-model\t\\S+\tvalid$`),
    );
    expect(await cli('revoke', issued.id)).toBe(`Certificate ${issued.id} revoked.`);
    expect(await cli('list', '--username', 'registrar')).toMatch(/\trevoked$/);
    await expect(cli('revoke', issued.id)).rejects.toThrow('revoked already');
    await expect(cli('revoke', 'not-an-id')).rejects.toThrow('revoke takes a certificate id');
    expect((await labServer.classroom.certificateById(issued.id))?.revokedAt).toBeGreaterThan(0);
  });
});
