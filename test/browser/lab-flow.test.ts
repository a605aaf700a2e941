import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useLabServerAndChromium } from '../helpers/lab-browser.ts';
import { englishIn } from '../helpers/locale-scan.ts';
import { typeInTerminal, waitForTerminal } from '../helpers/terminal.ts';

const env = useLabServerAndChromium('browser-flow-');

const strings = {
  es: {
    ready: 'Tu laboratorio está listo.',
    check: 'Comprobar',
    complete: '¡Laboratorio completado!',
    module: 'Progreso del módulo: 1 de 2 laboratorios completados.',
    next: 'Siguiente ejercicio:',
    solution: 'Ver la solución',
    solutionShown: 'Solución vista',
  },
  en: {
    ready: 'Your lab is ready.',
    check: 'Check',
    complete: 'Lab complete!',
    module: 'Module progress: 1 of 2 labs complete.',
    next: 'Next exercise:',
    solution: 'Show the solution',
    solutionShown: 'Solution viewed',
  },
};
const prompt = /learner:~\$[\s\u00a0]*$/m;
const exercises = ['restricted-namespace', 'least-privilege', 'inventory'];

async function solution(page: Page, lab: string, exercise: string) {
  const res = await page.request.post(`${env.server.url}api/labs/${lab}/exercises/${exercise}/solution`);
  return (await res.json()) as { commands: string[]; files: Record<string, string> };
}

describe.each(['es', 'en'] as const)('the lab flow in real Chromium (/%s/)', (locale) => {
  it('renders hints as Markdown, keeps focus at Check, opens the next exercise and ends with the completion view', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${env.server.url}${locale}/labs/security-basics/`);
    await page.locator('.lab-status-text', { hasText: strings[locale].ready }).waitFor({ timeout: 30_000 });
    await waitForTerminal(page, prompt);
    const first = page.locator(`.exercise[data-exercise="${exercises[0]}"]`);

    // A hint with backticks shows code, not backticks.
    await first.locator('.exercise-hint').click();
    await first.locator('.exercise-hints li code', { hasText: 'kubectl create namespace shop' }).waitFor();
    expect(await first.locator('.exercise-hints li').first().innerText()).not.toContain('`');

    // Check: focus stays on the button, the result lands in a polite live region of the exercise.
    const check = first.getByRole('button', { name: strings[locale].check });
    await check.focus();
    await page.keyboard.press('Enter');
    await first.locator('.check-result.ko').first().waitFor();
    expect(await check.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await first.locator('.exercise-feedback').getAttribute('aria-live')).toBe('polite');
    expect(await first.locator('.exercise-feedback .check-summary').count()).toBe(1);

    for (const [i, id] of exercises.entries()) {
      for (const command of (await solution(page, 'security-basics', id)).commands) {
        await typeInTerminal(page, command);
        await waitForTerminal(page, prompt);
      }
      const section = page.locator(`.exercise[data-exercise="${id}"]`);
      await section.getByRole('button', { name: strings[locale].check }).click();
      await expect.poll(() => section.getAttribute('class'), { timeout: 20_000 }).toContain('passed');
      if (i < exercises.length - 1) {
        // The next exercise opens: marked current, with a button to go there.
        await expect.poll(() => page.locator('.exercise.current').getAttribute('data-exercise')).toBe(exercises[i + 1]);
        expect(await section.locator('.exercise-next').innerText()).toContain(strings[locale].next);
        expect(await page.locator('.lab-complete').isVisible()).toBe(false);
      }
    }
    const complete = page.locator('.lab-complete');
    await complete.waitFor();
    expect(await complete.locator('h2').innerText()).toBe(strings[locale].complete);
    await complete.locator('.lab-complete-module', { hasText: strings[locale].module }).waitFor();
    expect(await complete.locator('.lab-complete-links a').count()).toBe(2);

    if (locale === 'es') {
      // What the page shows after a whole lab (statuses, hints, feedback from the API, the
      // completion view) holds no English UI text; code and parts marked lang="en" aside.
      const shown = await page.evaluate(() => {
        const body = document.body.cloneNode(true) as HTMLElement;
        for (const el of body.querySelectorAll('code, pre, [lang="en"], .terminal-screens, script, style')) el.remove();
        return body.textContent ?? '';
      });
      expect(englishIn(shown)).toEqual([]);
    }

    // Progress comes from the server: clearing the browser's storage keeps the module's marks.
    await page.evaluate(() => localStorage.clear());
    await page.goto(`${env.server.url}${locale}/modules/threat-model/`);
    await page.locator('.lab-card[data-lab="security-basics"] .lab-done').waitFor({ timeout: 10_000 });
    await context.close();
  }, 150_000);

  it('shows every file of a solution in full, with a copy button', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    for (const [lab, exercise, file] of [
      ['harden-dockerfile', 'multi-stage', 'Dockerfile'],
      ['trusted-registries', 'migrate-to-validatingpolicy', 'require-trusted-registry.yaml'],
    ] as const) {
      const expected = (await solution(page, lab, exercise)).files[file];
      expect(expected, `${lab} ${exercise} writes ${file}`).toBeTruthy();
      expect(expected).not.toMatch(/^@/);
      await page.goto(`${env.server.url}${locale}/labs/${lab}/`);
      const section = page.locator(`.exercise[data-exercise="${exercise}"]`);
      await section.getByRole('button', { name: strings[locale].solution }).click();
      const block = section.locator('.solution-block', { has: page.locator('figcaption code', { hasText: file }) });
      await block.waitFor();
      expect(await block.locator('pre code').textContent()).toBe(expected);
      expect(await block.locator('.copy-button').count()).toBe(1);
    }
    // The progress page, read from the server, shows the solution was viewed.
    await page.goto(`${env.server.url}${locale}/progress/`);
    await page
      .locator('.progress-lab[data-lab="harden-dockerfile"] tr[data-exercise="multi-stage"] .progress-notes', {
        hasText: strings[locale].solutionShown,
      })
      .waitFor({ timeout: 10_000 });
    await context.close();
  }, 90_000);
});

describe('the lab on a phone', () => {
  it('switches between instructions and terminal with two tabs, without scrolling past the instructions', async () => {
    const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${env.server.url}en/labs/security-basics/`);
    await page.locator('.lab-status-text', { hasText: strings.en.ready }).waitFor({ timeout: 45_000 });
    const terminalTab = page.getByRole('tab', { name: 'Terminal', exact: true });
    expect(await terminalTab.isVisible()).toBe(true);
    expect(await page.locator('.terminal-panel').isVisible()).toBe(false);
    await terminalTab.click();
    expect(await page.locator('.lab-instructions').isVisible()).toBe(false);
    const box = await page.locator('.terminal-screen:not([hidden])').boundingBox();
    expect(box!.y).toBeLessThan(844);
    expect(box!.height).toBeGreaterThan(300);
    await waitForTerminal(page, prompt);
    await typeInTerminal(page, 'echo phone-$((3*3))');
    await waitForTerminal(page, /^phone-9/m);
    await page.getByRole('tab', { name: 'Instructions' }).click();
    expect(await page.locator('.lab-instructions').isVisible()).toBe(true);
    // Run in the terminal brings the terminal up.
    await page.locator('.exercise[data-exercise="restricted-namespace"] .command-run').first().click();
    await expect.poll(() => page.locator('.terminal-panel').isVisible()).toBe(true);
    await waitForTerminal(page, 'kube-system');
    await context.close();
  }, 90_000);
});

describe('the lab page layout', () => {
  it('does not move the instructions when the lab becomes ready', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    // Hold the session back a moment, so the page is measured while still preparing.
    await page.route('**/api/sessions', async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.goto(`${env.server.url}es/labs/security-basics/`, { waitUntil: 'domcontentloaded' });
    const top = () =>
      page
        .locator('.exercise')
        .first()
        .evaluate((el) => el.getBoundingClientRect().top);
    await page.locator('.lab-status-text', { hasText: 'Preparando tu laboratorio' }).waitFor();
    const before = await top();
    await page.locator('.lab-status-text', { hasText: strings.es.ready }).waitFor({ timeout: 45_000 });
    await page.locator('.lab-backend', { hasText: 'integrado' }).waitFor();
    expect(Math.abs((await top()) - before)).toBeLessThanOrEqual(2);
    await context.close();
  }, 90_000);
});
