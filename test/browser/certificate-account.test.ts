import { once } from 'node:events';
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createAppServer } from '../../server/app.ts';
import { createLabServer, type LabServer } from '../../server/lab/server.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { distDir, projectRoot } from '../helpers/project.ts';
import { typeInTerminal, waitForTerminal } from '../helpers/terminal.ts';

/**
 * A learner earns a certificate on the site: the lab server's catalogue has the threat-model
 * module as one lab with one exercise, so passing it on the lab page completes the module.
 */

let dir = '';
let labServer: LabServer;
let server: Server;
let base = '';
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'browser-certificate-'));
  await chmod(dir, 0o711); // learners (other uids) pass through to their workspaces
  const lab = join(dir, 'labs', 'security-basics');
  await cp(join(projectRoot, 'labs', 'security-basics'), lab, { recursive: true });
  const doc = YAML.parse(await readFile(join(lab, 'lab.yaml'), 'utf8')) as { exercises: unknown[] };
  doc.exercises = doc.exercises.slice(0, 1);
  await writeFile(join(lab, 'lab.yaml'), YAML.stringify(doc));
  for (const locale of ['en', 'es']) {
    const instructions = join(lab, `lab.${locale}.mdx`);
    const text = await readFile(instructions, 'utf8');
    await writeFile(instructions, text.slice(0, text.indexOf('<Exercise id="least-privilege"')));
  }
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
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  server?.close();
  await labServer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a certificate on the account page (real Chromium)', () => {
  it('appears once the module’s last exercise passes, and its page and verification confirm it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}en/account/`);
    const form = page.locator('form.signup-form');
    await form.locator('input[name="username"]').fill('grad');
    await form.locator('input[name="password"]').fill('graduation password');
    await form.locator('button[type="submit"]').click();
    await page.locator('.signed-in-as', { hasText: 'grad' }).waitFor();
    await page.locator('.no-certificates', { hasText: 'You have no certificates yet' }).waitFor();

    await page.goto(`${base}en/labs/security-basics/`);
    await page.locator('.lab-status-text', { hasText: 'Your lab is ready.' }).waitFor({ timeout: 30_000 });
    await waitForTerminal(page, /\$[\s\u00a0]*$/m);
    await typeInTerminal(
      page,
      'kubectl create namespace shop && kubectl label namespace shop pod-security.kubernetes.io/enforce=restricted',
    );
    await waitForTerminal(page, 'namespace/shop labeled');
    const exercise = page.locator('.exercise[data-exercise="restricted-namespace"]');
    await exercise.getByRole('button', { name: 'Check' }).click();
    await exercise.locator('.check-summary', { hasText: 'Exercise passed!' }).waitFor();

    await page.goto(`${base}en/account/`);
    const item = page.locator('.certificates li');
    await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('.no-certificates').isHidden()).toBe(true);
    const link = item.getByRole('link', { name: 'Threat model and shared responsibility' });
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^\/en\/certificate\/[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{86}$/);
    const pdf = await context.request.get(
      new URL((await item.getByRole('link', { name: 'PDF' }).getAttribute('href'))!, base).href,
    );
    expect(pdf.headers()['content-type']).toMatch(/application\/pdf/);

    // The verification answers for this id, and not for one with a changed letter.
    const verificationId = href!.split('/').at(-1)!;
    const verified = await context.request.get(`${base}api/certificates/verify/${verificationId}`);
    expect(await verified.json()).toMatchObject({ valid: true, name: 'grad' });
    // A changed letter in the signature (its first: the last one carries padding bits too).
    const [certId, signature] = verificationId.split('.') as [string, string];
    const changed = `${certId}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    const tampered = await context.request.get(`${base}api/certificates/verify/${changed}`);
    expect(tampered.status()).toBe(404);

    await link.click();
    await page.waitForURL(`${base.replace(/\/$/, '')}${href}`);
    expect(await page.locator('body').innerText()).toContain('Threat model and shared responsibility');
    await context.close();
  }, 120_000);
});
