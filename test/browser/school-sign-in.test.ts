import { once } from 'node:events';
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createAppServer } from '../../server/app.ts';
import { createLabServer, type LabServer } from '../../server/lab/server.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startOidcProvider, testClient, type TestProvider } from '../helpers/oidc-provider.ts';
import { distDir, projectRoot } from '../helpers/project.ts';

/**
 * In real Chromium, which enforces SameSite: a learner who passed a module's only exercise
 * without an account signs in with a school's OIDC provider (a real one, on another site:
 * localhost against 127.0.0.1), and the account page then lists the module's certificate, whose
 * page, PDF and verification URL work.
 */

let dir: string;
let labServer: LabServer;
let labHttp: Server;
let lab: string;
let provider: TestProvider;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'school-sign-in-'));
  await chmod(dir, 0o711);
  // The threat-model module as one lab with one exercise, so that passing it completes the module.
  const labDir = join(dir, 'labs', 'security-basics');
  await cp(join(projectRoot, 'labs', 'security-basics'), labDir, { recursive: true });
  const doc = YAML.parse(await readFile(join(labDir, 'lab.yaml'), 'utf8')) as { exercises: unknown[] };
  doc.exercises = doc.exercises.slice(0, 1);
  await writeFile(join(labDir, 'lab.yaml'), YAML.stringify(doc));
  for (const locale of ['en', 'es']) {
    const text = await readFile(join(labDir, `lab.${locale}.mdx`), 'utf8');
    await writeFile(join(labDir, `lab.${locale}.mdx`), text.slice(0, text.indexOf('<Exercise id="least-privilege"')));
  }

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  labHttp = createServer((req, res) => handler(req, res));
  labHttp.listen(0, '127.0.0.1');
  await once(labHttp, 'listening');
  lab = `http://127.0.0.1:${(labHttp.address() as AddressInfo).port}`;
  const redirectUrl = `${lab}/api/auth/oidc/callback`;
  provider = await startOidcProvider(redirectUrl);
  labServer = await createLabServer({
    dataDir: join(dir, 'data'),
    labsDir: join(dir, 'labs'),
    backend: 'embedded',
    bwrap: false,
    oidc: { issuer: provider.issuer, ...testClient, redirectUrl, name: 'Test School' },
  });
  expect(labServer.sessions.labList().map((l) => l.id)).toEqual(['security-basics']);
  const app = createAppServer(distDir, labServer.http);
  handler = (req, res) => app.emit('request', req, res);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  labHttp?.closeAllConnections();
  labHttp?.close();
  provider?.close();
  await labServer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('school sign-in and certificates in Chromium', () => {
  it('signs in through the provider, keeps anonymous progress, and lists the certificate', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${lab}/en/account/`);
    const school = page.getByRole('link', { name: 'Sign in with Test School' });
    await school.waitFor();

    // What this browser did without an account: the module's only exercise passed.
    const anonymous = (await context.cookies(lab)).find((c) => c.name === 'lab_learner')!.value;
    await labServer.classroom.recordAttempt(anonymous, 'security-basics', 'restricted-namespace', true, []);

    await school.click();
    await page.waitForURL(`${provider.issuer}/**`);
    await page.locator('input[name="login"]').fill('erin');
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]', { hasText: 'Continue' }).click(); // the consent page
    await page.waitForURL(`${lab}/en/account/`);
    await page.locator('.signed-in-as', { hasText: 'erin' }).waitFor();

    const item = page.locator('ul.certificates li', { hasText: 'Threat model and shared responsibility' });
    await item.waitFor();
    expect(await page.locator('.no-certificates').isHidden()).toBe(true);
    const pdfHref = await item.getByRole('link', { name: 'PDF' }).getAttribute('href');
    const pdf = await context.request.get(`${lab}${pdfHref}`);
    expect([pdf.status(), pdf.headers()['content-type']]).toEqual([200, 'application/pdf']);
    expect((await pdf.body()).subarray(0, 5).toString('latin1')).toBe('%PDF-');

    await item.getByRole('link', { name: 'Threat model and shared responsibility' }).click();
    await page.locator('.certificate .name').waitFor();
    expect(await page.locator('.certificate .name').textContent()).toBe('erin');
    expect(await page.locator('.certificate .module').textContent()).toBe('Threat model and shared responsibility');

    // The same list in Spanish, and its verification link says valid to anyone.
    await page.goto(`${lab}/es/account/`);
    await page.locator('ul.certificates li', { hasText: 'Modelo de amenazas y responsabilidad compartida' }).waitFor();
    const listed = (await (await context.request.get(`${lab}/api/certificates`)).json()) as {
      certificates: Array<{ verifyUrl: string }>;
    };
    const verify = listed.certificates[0]?.verifyUrl;
    const stranger = await browser.newContext({ locale: 'es-ES' });
    const check = await stranger.newPage();
    const answer = await check.goto(verify!);
    expect(answer?.status()).toBe(200);
    expect(await check.locator('.status h2').textContent()).toBe('Certificado válido');
    await stranger.close();
    await context.close();
  }, 120_000);
});
