import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServer } from '../../server/app.ts';
import { createLabServer, type LabServer } from '../../server/lab/server.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { distDir } from '../helpers/project.ts';

/**
 * The account page's school sign-in, in real Chromium, against a real OpenID Connect provider
 * (oidc-provider and its development login and consent pages) run in this process.
 */

const clientId = 'k8s-course';
const clientSecret = 'course-client-secret';
let dir = '';
let labServer: LabServer;
let labHttp: Server;
let provider: Server;
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
  provider = createServer();
  const issuer = await listen(provider, 'localhost');
  const oidc = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, email: `${sub}@school.example`, email_verified: true, preferred_username: sub }),
    }),
    cookies: { keys: ['provider-cookie-key-for-tests'] },
    features: { devInteractions: { enabled: true } },
  });
  provider.on('request', oidc.callback());
  labServer = await createLabServer({
    dataDir: join(dir, 'data'),
    labsDir: join(dir, 'labs'),
    backend: 'embedded',
    bwrap: false,
    oidc: { issuer, clientId, clientSecret, redirectUrl, name: 'Test School' },
  });
  const app = createAppServer(distDir, labServer.http);
  handler = (req, res) => app.emit('request', req, res);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const server of [labHttp, provider]) {
    server?.closeAllConnections();
    server?.close();
  }
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
