import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../helpers/chromium.ts';
import { projectRoot } from '../helpers/project.ts';
import { splitFrontmatter } from '../helpers/prose.ts';
import { startServer, type RunningServer } from '../helpers/server.ts';

let server: RunningServer;
let browser: Browser;
beforeAll(async () => {
  server = await startServer();
  browser = await launchChromium();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('course home in real Chromium', () => {
  it('renders the Spanish home with its module list', async () => {
    const page = await browser.newPage({ locale: 'es-ES' });
    await page.goto(server.url);
    expect(new URL(page.url()).pathname).toBe('/es/');
    expect(await page.locator('html').getAttribute('lang')).toBe('es');
    expect(await page.locator('h1').innerText()).toBe('Seguridad en Kubernetes');
    const modules = page.locator('ol.modules li');
    // Every published module appears, in its frontmatter order: M0 (order 0) first.
    const dir = join(projectRoot, 'content', 'es', 'modules');
    const expected = readdirSync(dir)
      .map((f) => splitFrontmatter(readFileSync(join(dir, f), 'utf8')).frontmatter)
      .filter((m) => !m.draft)
      .sort((a, b) => Number(a.order) - Number(b.order))
      .map((m) => String(m.title));
    const texts = await modules.allInnerTexts();
    expect(texts).toHaveLength(expected.length);
    expected.forEach((title, i) => expect(texts[i]).toContain(title));
    expect(expected[0]).toBe('Modelo de amenazas y responsabilidad compartida');
    expect(expected).toContain('Cadena de suministro I: construir, minimizar, analizar');
    expect(expected).toContain('Cadena de suministro II: firmar, atestar, admitir');
    await page.close();
  });

  it('switches to English on the same page and opens a module', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}es/`);
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(/\/en\/$/);
    expect(await page.locator('h2').first().innerText()).toBe('Modules');
    await page.getByRole('link', { name: 'Threat model and shared responsibility' }).click();
    await page.waitForURL(/\/en\/modules\/threat-model\/$/);
    expect(await page.locator('article h1').innerText()).toBe('Threat model and shared responsibility');
    expect(await page.locator('article').innerText()).toContain('Recon from a pod');
    await page.close();
  });
});
