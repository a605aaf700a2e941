import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.ts';
import { startServer, type RunningServer } from '../helpers/server.ts';

/**
 * A kind-only lab on a server whose kind preflight fails (kind is kept off the server's PATH,
 * so this holds on a machine with kind too): the page says what to install, in the learner's
 * language, and offers no Retry that could not help.
 */
let server: RunningServer;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'browser-kind-'));
  const path = (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => dir && !existsSync(join(dir, 'kind')))
    .join(':');
  server = await startServer(['--data-dir', dataDir], { PATH: path });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const expected = {
  es: {
    intro: 'solo funciona con el backend kind',
    kind: 'kind v0.33.0, con las instrucciones de https://kind.sigs.k8s.io',
    doctor: 'npm run labs -- doctor',
  },
  en: {
    intro: 'it runs only on the kind backend',
    kind: 'kind v0.33.0, as https://kind.sigs.k8s.io',
    doctor: 'npm run labs -- doctor',
  },
};

describe.each(['es', 'en'] as const)('a kind-only lab without kind (/%s/)', (locale) => {
  it('explains what to install and shows no dead Retry', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}${locale}/labs/sign-and-verify/`);
    await page.locator('.lab-status-text', { hasText: expected[locale].intro }).waitFor({ timeout: 20_000 });
    const items = await page.locator('.lab-unavailable li').allTextContents();
    expect(items[0]).toContain(expected[locale].kind);
    expect(items.at(-1)).toContain(expected[locale].doctor);
    expect(await page.locator('.lab-retry').isVisible()).toBe(false);
    await context.close();
  }, 60_000);
});
