import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServer } from '../../server/app.ts';
import { createLabServer, type LabServer } from '../../server/lab/server.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startOidcProvider, testClient, type TestProvider } from '../helpers/oidc-provider.ts';
import { distDir } from '../helpers/project.ts';

/**
 * The account page's school sign-in, in real Chromium, against a real OpenID Connect provider
 * (oidc-provider and its development login and consent pages) run in this process.
 */

let dir = '';
let labServer: LabServer;
let labHttp: Server;
let provider: TestProvider;
let lab = '';
let browser: Browser;

async function listen(server: Server, host: string): Promise<string> {
  server.listen(0, host);
  await once(server, 'listening');
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'browser-oidc-'));
  await chmod(dir, 0o711);
  await mkdir(join(dir, 'labs'));
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  labHttp = createServer((req, res) => handler(req, res));
  lab = await listen(labHttp, '127.0.0.1');
  const redirectUrl = `${lab}/api/auth/oidc/callback`;
  provider = await startOidcProvider(redirectUrl);
  labServer = await createLabServer({
    dataDir: join(dir, 'data'),
    labsDir: join(dir, 'labs'),
    backend: 'embedded',
    bwrap: false,
    oidc: { issuer: provider.issuer, ...testClient, redirectUrl, name: 'Test School' },
  });
  const app = createAppServer(distDir, labServer.http);
  handler = (req, res) => app.emit('request', req, res);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  labHttp?.closeAllConnections();
  labHttp?.close();
  provider?.close();
  await labServer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('school sign-in on the account page (real Chromium, real OIDC provider)', () => {
  it('signs in with the school, comes back to the account page, and deletes the account by username', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${lab}/es/account/`);
    const link = page.getByRole('link', { name: 'Iniciar sesión con Test School' });
    await link.waitFor();
    await link.click();

    // The provider's own pages: log in as "pupil", then consent.
    await page.locator('input[name="login"]').waitFor();
    await page.locator('input[name="login"]').fill('pupil');
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${lab}/es/account/`);
    await page.locator('.signed-in-as', { hasText: 'Has iniciado sesión como pupil (estudiante).' }).waitFor();

    // No password to confirm with: the page asks for the username instead.
    const remove = page.locator('form.delete-form');
    expect(await remove.locator('input[name="password"]').isHidden()).toBe(true);
    const confirm = remove.getByLabel('Escribe tu nombre de usuario para confirmar');
    await confirm.fill('someone-else');
    await remove.locator('button[type="submit"]').click();
    await remove
      .locator('.form-status', { hasText: 'Escribe tu nombre de usuario exactamente para confirmar.' })
      .waitFor();
    expect(await labServer.classroom.accountByLogin('pupil')).toBeDefined();
    await confirm.fill('pupil');
    await remove.locator('button[type="submit"]').click();
    await page.locator('.account-notice', { hasText: 'Tu cuenta y tus datos se han borrado.' }).waitFor();
    expect(await labServer.classroom.accountByLogin('pupil')).toBeUndefined();
    await context.close();
  }, 90_000);
});
