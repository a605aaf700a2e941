import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { useLabServerAndChromium } from '../helpers/lab-browser.ts';
import { typeInTerminal, waitForTerminal } from '../helpers/terminal.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const env = useLabServerAndChromium('browser-lab-');

const strings = {
  es: {
    ready: 'Tu laboratorio está listo.',
    check: 'Comprobar',
    missing: 'No existe Namespace shop.',
    passed: '¡Ejercicio superado!',
    okLine: 'Namespace shop está como se espera.',
  },
  en: {
    ready: 'Your lab is ready.',
    check: 'Check',
    missing: 'Namespace shop does not exist.',
    passed: 'Exercise passed!',
    okLine: 'Namespace shop is as expected.',
  },
};

describe.each(['es', 'en'] as const)('a lab in real Chromium (/%s/)', (locale) => {
  it('runs a command, fails a check, passes it after the exercise, and keeps progress on reload', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${env.server.url}${locale}/labs/security-basics/`);
    await page.locator('.lab-status-text', { hasText: strings[locale].ready }).waitFor({ timeout: 20_000 });
    await waitForTerminal(page, /\$[\s\u00a0]*$/m);
    const exercise = page.locator('.exercise[data-exercise="restricted-namespace"]');
    await exercise.locator('.command-run').click();
    await waitForTerminal(page, 'kube-system');
    await exercise.getByRole('button', { name: strings[locale].check }).click();
    await exercise.locator('.check-result.ko', { hasText: strings[locale].missing }).waitFor();
    await typeInTerminal(
      page,
      'kubectl create namespace shop && kubectl label namespace shop pod-security.kubernetes.io/enforce=restricted',
    );
    await waitForTerminal(page, 'namespace/shop labeled');
    await exercise.getByRole('button', { name: strings[locale].check }).click();
    await exercise.locator('.check-summary', { hasText: strings[locale].passed }).waitFor();
    expect(await exercise.locator('.check-result.ok').first().innerText()).toBe(strings[locale].okLine);
    await expect.poll(() => exercise.getAttribute('class')).toContain('passed');
    await page.reload();
    await page.locator('.lab-status-text', { hasText: strings[locale].ready }).waitFor({ timeout: 20_000 });
    expect(await page.locator('.exercise[data-exercise="restricted-namespace"]').getAttribute('class')).toContain(
      'passed',
    );
    // The same session came back: the namespace is still there.
    await waitForTerminal(page, /\$[\s\u00a0]*$/m);
    await typeInTerminal(page, 'kubectl get ns shop -o name');
    await waitForTerminal(page, 'namespace/shop');
    await context.close();
  }, 90_000);
});

describe('keyboard and accessibility', () => {
  it('completes an exercise with the keyboard only', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${env.server.url}en/labs/security-basics/`);
    await page.locator('.lab-status-text', { hasText: 'Your lab is ready.' }).waitFor({ timeout: 20_000 });
    await waitForTerminal(page, /\$[\s\u00a0]*$/m);
    // Tab to the Run button of the first command and press Enter.
    const run = page.locator('.exercise[data-exercise="restricted-namespace"] .command-run');
    for (let i = 0; i < 40 && !(await run.evaluate((el) => el === document.activeElement)); i++)
      await page.keyboard.press('Tab');
    expect(await run.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await waitForTerminal(page, 'kube-system');
    await page.keyboard.type(
      'kubectl create namespace shop && kubectl label namespace shop pod-security.kubernetes.io/enforce=restricted',
    );
    await page.keyboard.press('Enter');
    await waitForTerminal(page, 'namespace/shop labeled');
    const check = page.locator('.exercise[data-exercise="restricted-namespace"] .exercise-check');
    // Shift+Tab leaves the terminal; keep going back to the exercise's Check button.
    for (let i = 0; i < 60 && !(await check.evaluate((el) => el === document.activeElement)); i++)
      await page.keyboard.press('Shift+Tab');
    expect(await check.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await page
      .locator('.exercise[data-exercise="restricted-namespace"] .check-summary', { hasText: 'Exercise passed!' })
      .waitFor();
    await context.close();
  }, 90_000);

  it.each(
    (
      [
        ['home', 'es/'],
        ['module', 'en/modules/threat-model/'],
        ['lesson', 'es/modules/threat-model/shared-responsibility/'],
        ['lab', 'es/labs/security-basics/'],
        ['progress', 'en/progress/'],
        ['glossary', 'es/glosario/'],
      ] as const
    ).flatMap(([page, path]) => (['light', 'dark'] as const).map((scheme) => [page, scheme, path] as const)),
  )(
    'has no serious or critical axe violations on the %s page (%s)',
    async (_, colorScheme, path) => {
      const context = await env.browser.newContext({ colorScheme });
      const page = await context.newPage();
      await page.goto(`${env.server.url}${path}`);
      await page.waitForLoadState('networkidle');
      await page.addScriptTag({ content: axeSource });
      const violations = await page.evaluate(async () => {
        const result = await (
          window as unknown as {
            axe: {
              run: (
                ctx: Document,
                opts: object,
              ) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }>;
            };
          }
        ).axe.run(document, { resultTypes: ['violations'] });
        return result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      expect(violations).toEqual([]);
      await context.close();
    },
    60_000,
  );

  it('shows a clear banner and retries when the lab server is down', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.route('**/api/sessions**', (route) => route.abort('connectionrefused'));
    await page.goto(`${env.server.url}en/labs/security-basics/`);
    await page
      .locator('.terminal-banner', { hasText: 'The lab server is not answering.' })
      .waitFor({ timeout: 10_000 });
    expect(await page.locator('.terminal-retry').isVisible()).toBe(true);
    await page.unroute('**/api/sessions**');
    await page.locator('.terminal-retry').click();
    await page.locator('.lab-status-text', { hasText: 'Your lab is ready.' }).waitFor({ timeout: 20_000 });
    await context.close();
  }, 60_000);
});
