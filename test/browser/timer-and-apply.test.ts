import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../src/contracts/protocol.ts';
import { useLabServerAndChromium } from '../helpers/lab-browser.ts';
import { englishIn } from '../helpers/locale-scan.ts';
import { waitForTerminal } from '../helpers/terminal.ts';

const env = useLabServerAndChromium('browser-timer-', [
  '--session-ttl',
  '60',
  '--idle-ttl',
  '600',
  '--extend-minutes',
  '30',
  '--max-extensions',
  '2',
]);

const strings = {
  es: {
    ready: 'Tu laboratorio está listo.',
    left: 'Tiempo restante: ',
    extend: 'Ampliar 30 min',
    extended: 'Sesión ampliada.',
    noMore: 'Ya no se puede ampliar más.',
    warning: /^Quedan 4 min de laboratorio/,
    solution: 'Ver la solución',
    apply: 'Aplicar la solución',
    applied: 'Solución aplicada. Pulsa «Comprobar» para verificarla.',
    check: 'Comprobar',
    progressApplied: 'Solución aplicada',
  },
  en: {
    ready: 'Your lab is ready.',
    left: 'Time left: ',
    extend: 'Extend by 30 min',
    extended: 'Session extended.',
    noMore: 'No more extensions are allowed.',
    warning: /^4 min of lab time left/,
    solution: 'Show the solution',
    apply: 'Apply the solution',
    applied: 'Solution applied. Press Check to verify it.',
    check: 'Check',
    progressApplied: 'Solution applied',
  },
};
const prompt = /learner:~\$[\s\u00a0]*$/m;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe.each(['es', 'en'] as const)('session timer and applying a solution in real Chromium (/%s/)', (locale) => {
  const s = strings[locale];

  it('shows the time left, Extend moves the expiry until the cap, and only a few minutes left is announced', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${env.server.url}${locale}/labs/security-basics/`);
    await page.locator('.lab-status-text', { hasText: s.ready }).waitFor({ timeout: 45_000 });
    const id = await page.evaluate(() => localStorage.getItem('lab-session:security-basics'));
    const session = async () =>
      (await (await page.request.get(`${env.server.url}api/sessions/${id}`)).json()) as SessionInfo;
    const timerText = page.locator('.lab-timer-text');
    await expect.poll(() => timerText.innerText()).toBe(`${s.left}1 h 0 min`);
    expect(await timerText.isVisible()).toBe(true);
    // The visible timer is in no live region; the announcing one is still silent.
    expect(await page.locator('.lab-timer').evaluate((el) => el.closest('[aria-live]') === null)).toBe(true);
    expect(await page.locator('.lab-timer-alert').textContent()).toBe('');

    const before = await session();
    const extend = page.getByRole('button', { name: s.extend });
    await extend.click();
    await page.locator('.lab-timer-alert', { hasText: s.extended }).waitFor();
    const after = await session();
    expect((Date.parse(after.expiresAt) - Date.parse(before.expiresAt)) / 60_000).toBeCloseTo(30, 5);
    await expect.poll(() => timerText.innerText()).toBe(`${s.left}1 h 30 min`);

    // The server's cap: after the second extension the button goes and the page says why.
    await extend.click();
    await expect.poll(() => timerText.innerText()).toBe(`${s.left}2 h 0 min ${s.noMore}`);
    expect(await extend.isVisible()).toBe(false);
    expect((await session()).extensionsLeft).toBe(0);
    const refused = await page.request.post(`${env.server.url}api/sessions/${id}/extend`);
    expect(refused.status()).toBe(409);

    // Four minutes before the end (the page's clock moved on), the screen reader hears it once.
    await page.clock.setFixedTime(Date.parse(after.expiresAt) + 30 * 60_000 - 4 * 60_000 + 1000);
    await page.locator('.lab-timer-alert').filter({ hasText: s.warning }).waitFor({ timeout: 10_000 });
    if (locale === 'es')
      expect(
        englishIn(
          await page
            .locator('.lab-timer, .lab-timer-alert')
            .allInnerTexts()
            .then((t) => t.join(' ')),
        ),
      ).toEqual([]);
    await context.close();
  }, 90_000);

  it('Apply the solution writes it into the workspace; Check then passes', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${env.server.url}${locale}/labs/harden-deployment/`);
    await page.locator('.lab-status-text', { hasText: s.ready }).waitFor({ timeout: 45_000 });
    await waitForTerminal(page, prompt);
    const section = page.locator('.exercise[data-exercise="restricted-pods"]');
    await section.getByRole('button', { name: s.solution }).click();
    await section.getByRole('button', { name: s.apply }).click();
    await section.locator('.exercise-feedback .apply-summary', { hasText: s.applied }).waitFor({ timeout: 60_000 });
    expect(await section.locator('.exercise-feedback li code').allInnerTexts()).toEqual(['web-deployment.yaml']);
    await section.getByRole('button', { name: s.check }).click();
    await expect.poll(() => section.getAttribute('class'), { timeout: 30_000 }).toContain('passed');
    // The progress page, read from the server, says the solution was applied.
    await page.goto(`${env.server.url}${locale}/progress/`);
    await page
      .locator('.progress-lab[data-lab="harden-deployment"] tr[data-exercise="restricted-pods"] .progress-notes', {
        hasText: s.progressApplied,
      })
      .waitFor({ timeout: 10_000 });
    await context.close();
  }, 120_000);
});

describe.each(['light', 'dark'] as const)('the timer and an applied solution under axe (%s)', (colorScheme) => {
  it('has no serious or critical violations', async () => {
    const context = await env.browser.newContext({ colorScheme });
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${env.server.url}es/labs/harden-deployment/`);
    await page.locator('.lab-timer.shown .lab-extend').waitFor({ timeout: 45_000 });
    const section = page.locator('.exercise[data-exercise="restricted-pods"]');
    await section.locator('.exercise-solution').click();
    await section.locator('.exercise-apply').click();
    await section.locator('.apply-summary').waitFor({ timeout: 60_000 });
    await page.addScriptTag({ content: axeSource });
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run: (
              ctx: Document,
              opts: object,
            ) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }>;
          };
        }
      ).axe;
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations).toEqual([]);
    await context.close();
  }, 90_000);
});
