// Screenshots of the lab flow for the README, into docs/screenshots/ (committed):
// a passed exercise with the next one opened, the completion view, a solution applied from
// its reveal, and on a phone the instructions (with the session timer) and the terminal tab.
// Run with `npm run screenshots:flow`; it builds the site first.
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { projectRoot } from '../helpers/project.ts';
import { startServer } from '../helpers/server.ts';
import { typeInTerminal, waitForTerminal } from '../helpers/terminal.ts';

const outDir = join(projectRoot, 'docs', 'screenshots');
const prompt = /learner:~\$[\s\u00a0]*$/m;
const dataDir = await mkdtemp(join(tmpdir(), 'flow-shots-'));
const server = await startServer(['--data-dir', dataDir]);
const browser = await launchChromium();
await mkdir(outDir, { recursive: true });
const written: string[] = [];

async function solve(page: Page, exercise: string): Promise<void> {
  const res = await page.request.post(`${server.url}api/labs/security-basics/exercises/${exercise}/solution`);
  for (const command of ((await res.json()) as { commands: string[] }).commands) {
    await typeInTerminal(page, command);
    await waitForTerminal(page, prompt);
  }
  const section = page.locator(`.exercise[data-exercise="${exercise}"]`);
  await section.locator('.exercise-check').click();
  await section.locator('.check-summary').waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  const file = join(outDir, `${name}.png`);
  await page.screenshot({ path: file });
  written.push(file);
}

try {
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await desktop.newPage();
  await page.goto(`${server.url}es/labs/security-basics/`);
  await page.locator('.lab-status-text', { hasText: 'Tu laboratorio está listo.' }).waitFor({ timeout: 45_000 });
  await waitForTerminal(page, prompt);
  await page.locator('.exercise[data-exercise="restricted-namespace"] .exercise-hint').click();
  await page.locator('.exercise-hints li code').first().waitFor();
  await solve(page, 'restricted-namespace');
  await page.locator('.exercise[data-exercise="restricted-namespace"]').scrollIntoViewIfNeeded();
  await shot(page, 'lab-next-exercise-es-desktop');
  await solve(page, 'least-privilege');
  await solve(page, 'inventory');
  await page.locator('.lab-complete-module').filter({ hasText: /\d/ }).waitFor();
  await page.locator('.lab-complete').scrollIntoViewIfNeeded();
  await shot(page, 'lab-complete-es-desktop');
  await desktop.close();

  const applying = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const apply = await applying.newPage();
  apply.on('dialog', (dialog) => void dialog.accept());
  await apply.goto(`${server.url}en/labs/harden-deployment/`);
  await apply.locator('.lab-status-text', { hasText: 'Your lab is ready.' }).waitFor({ timeout: 45_000 });
  await waitForTerminal(apply, prompt);
  const exercise = apply.locator('.exercise[data-exercise="restricted-pods"]');
  await exercise.locator('.exercise-solution').click();
  await exercise.locator('.exercise-apply').click();
  await exercise.locator('.apply-summary').waitFor({ timeout: 60_000 });
  await exercise.locator('.exercise-check').click();
  await exercise.locator('.check-summary').waitFor({ timeout: 30_000 });
  await typeInTerminal(apply, 'kubectl -n shop get deploy web');
  await waitForTerminal(apply, /web\s+\d\/\d/);
  await exercise.locator('.exercise-actions').scrollIntoViewIfNeeded();
  await shot(apply, 'lab-apply-solution-en-desktop');
  await applying.close();

  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    deviceScaleFactor: 1,
  });
  const mobile = await phone.newPage();
  await mobile.goto(`${server.url}en/labs/security-basics/`);
  await mobile.locator('.lab-status-text', { hasText: 'Your lab is ready.' }).waitFor({ timeout: 45_000 });
  await shot(mobile, 'lab-instructions-en-mobile');
  await mobile.getByRole('tab', { name: 'Terminal', exact: true }).click();
  await waitForTerminal(mobile, prompt);
  await typeInTerminal(mobile, 'kubectl get ns');
  await waitForTerminal(mobile, 'kube-system');
  await shot(mobile, 'lab-terminal-en-mobile');
  await phone.close();
} finally {
  await browser.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
console.log(`${written.length} screenshots in ${outDir}:`);
for (const file of written) console.log(`  ${file}`);
