import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.ts';
import { startServer, type RunningServer } from '../helpers/server.ts';
import { terminalText, typeInTerminal, waitForTerminal } from '../helpers/terminal.ts';

/** The course server on a fixed port and data folder, so a test can restart it under a live page. */
let dataDir = '';
let server: RunningServer;
let browser: Browser;
let port = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'browser-terminal-'));
  server = await startServer(['--data-dir', dataDir]);
  port = Number(new URL(server.url).port);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const strings = {
  es: {
    ready: 'Tu laboratorio está listo.',
    restarted: 'El servidor de laboratorios se ha reiniciado',
    ended: 'Has terminado este laboratorio.',
    startAgain: 'Abrir el laboratorio de nuevo',
  },
  en: {
    ready: 'Your lab is ready.',
    restarted: 'The lab server restarted',
    ended: 'You ended this lab.',
    startAgain: 'Start the lab again',
  },
};

const prompt = /learner:~\$[\s\u00a0]*$/m;

async function openLab(page: Page, locale: 'es' | 'en'): Promise<void> {
  await page.goto(`${server.url}${locale}/labs/security-basics/`);
  await page.locator('.lab-status-text', { hasText: strings[locale].ready }).waitFor({ timeout: 30_000 });
  await waitForTerminal(page, prompt);
}

/** The screen row where `command` was typed: the prompt, then exactly the command. */
async function commandRow(page: Page, command: string): Promise<string> {
  return (await terminalText(page)).split('\n').find((row) => row.includes(command)) ?? '';
}

describe.each(['es', 'en'] as const)('the learner terminal in real Chromium (/%s/)', (locale) => {
  it('replays vi without answering its terminal queries again: a clean prompt after reload', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openLab(page, locale);
    // vi asks the terminal for its cursor position, device attributes and colours on start.
    await typeInTerminal(page, 'vi notes.txt');
    await waitForTerminal(page, '"notes.txt"');
    await page.keyboard.type(':q!');
    await page.keyboard.press('Enter');
    await waitForTerminal(page, prompt);
    await page.reload();
    await page.locator('.lab-status-text', { hasText: strings[locale].ready }).waitFor({ timeout: 30_000 });
    await waitForTerminal(page, prompt);
    // Answers typed into the shell would show up before the next command or as an error.
    await typeInTerminal(page, 'echo clean-$((20+22))');
    await waitForTerminal(page, /^clean-42/m);
    expect(await commandRow(page, 'echo clean-')).toMatch(/^learner:~\$ echo clean-\$\(\(20\+22\)\)\s*$/);
    expect(await terminalText(page)).not.toContain('command not found');
    await context.close();
  }, 90_000);

  it('after a server restart says so and shows live output without a reload; End shows an ended state', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openLab(page, locale);
    await typeInTerminal(page, 'echo before-$((1+1))');
    await waitForTerminal(page, /^before-2/m);
    await server.stop();
    server = await startServer(['--data-dir', dataDir, '--port', String(port)]);
    await page.locator('.lab-status-text', { hasText: strings[locale].restarted }).waitFor({ timeout: 60_000 });
    await waitForTerminal(page, strings[locale].restarted, 10_000);
    await waitForTerminal(page, prompt);
    await typeInTerminal(page, 'echo after-$((2+2))');
    await waitForTerminal(page, /^after-4/m);
    expect(await page.locator('.terminal-banner').isVisible()).toBe(false);
    // End: an ended state with a way back, never a "reconnecting" banner.
    page.on('dialog', (dialog) => void dialog.accept());
    await page.locator('.lab-end').click();
    await page.locator('.lab-status-text', { hasText: strings[locale].ended }).waitFor();
    await page.waitForTimeout(1500); // give a wrongly reconnecting socket the time to show its banner
    expect(await page.locator('.terminal-banner').isVisible()).toBe(false);
    expect(await page.locator('.terminal-screen').count()).toBe(0);
    await page.getByRole('button', { name: strings[locale].startAgain }).click();
    await page.locator('.lab-status-text', { hasText: strings[locale].ready }).waitFor({ timeout: 30_000 });
    await context.close();
  }, 150_000);
});

describe('terminal tabs and completion', () => {
  it('opens and closes a second terminal, and completes kubectl commands with Tab', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openLab(page, 'en');
    await page.locator('.terminal-add').click();
    await expect.poll(() => page.locator('[role="tab"][data-terminal]').count()).toBe(2);
    await waitForTerminal(page, prompt);
    await page.getByRole('button', { name: 'Close this terminal' }).click();
    await expect.poll(() => page.locator('[role="tab"][data-terminal]').count()).toBe(1);
    expect(await page.locator('.terminal-screen').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Close this terminal' }).isVisible()).toBe(false);
    // Completion of a kubectl subcommand, and of the k alias.
    await page.locator('.terminal-screen:not([hidden]) .xterm-helper-textarea').focus();
    await page.keyboard.type('kubectl api-reso');
    await page.keyboard.press('Tab');
    await waitForTerminal(page, 'kubectl api-resources', 30_000);
    await page.keyboard.press('Control+C');
    await page.keyboard.type('k get namesp');
    await page.keyboard.press('Tab');
    await waitForTerminal(page, 'k get namespaces', 30_000);
    await context.close();
  }, 90_000);
});
