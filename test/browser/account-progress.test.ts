import type { BrowserContext } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useLabServerAndChromium } from '../helpers/lab-browser.ts';
import { typeInTerminal, waitForTerminal } from '../helpers/terminal.ts';

const env = useLabServerAndChromium('browser-account-');

/** Calls the account API from inside a browser context: its cookies, and the CSRF token as the site sends it. */
async function post(context: BrowserContext, path: string, data: unknown) {
  await context.request.get(`${env.server.url}api/auth/me`);
  const csrf = (await context.cookies()).find((c) => c.name === 'lab_csrf')?.value ?? '';
  return context.request.post(`${env.server.url}${path}`, { data, headers: { 'x-csrf-token': csrf } });
}

describe('progress follows the account (real Chromium)', () => {
  it('a learner signs up, passes an exercise on the lab page, and sees it passed from a second browser', async () => {
    const first = await env.browser.newContext();
    const signUp = await post(first, 'api/auth/signup', {
      username: 'chromium-learner',
      password: 'browser password 1',
    });
    expect(signUp.status()).toBe(201);
    const page = await first.newPage();
    await page.goto(`${env.server.url}en/labs/security-basics/`);
    await page.locator('.lab-status-text', { hasText: 'Your lab is ready.' }).waitFor({ timeout: 30_000 });
    await waitForTerminal(page, /\$[\s\u00a0]*$/m);
    await typeInTerminal(
      page,
      'kubectl create namespace shop && kubectl label namespace shop pod-security.kubernetes.io/enforce=restricted',
    );
    await waitForTerminal(page, 'namespace/shop labeled');
    // The page's Check is a POST made with a sign-in: it only works because the page sends the CSRF token.
    const exercise = page.locator('.exercise[data-exercise="restricted-namespace"]');
    await exercise.getByRole('button', { name: 'Check' }).click();
    await exercise.locator('.check-summary', { hasText: 'Exercise passed!' }).waitFor();
    await first.close();

    const second = await env.browser.newContext();
    const signIn = await post(second, 'api/auth/signin', { login: 'chromium-learner', password: 'browser password 1' });
    expect(signIn.status()).toBe(200);
    const other = await second.newPage();
    await other.goto(`${env.server.url}en/labs/security-basics/`);
    await other.locator('.lab-status-text', { hasText: 'Your lab is ready.' }).waitFor({ timeout: 30_000 });
    await expect
      .poll(() => other.locator('.exercise[data-exercise="restricted-namespace"]').getAttribute('class'), {
        timeout: 15_000,
      })
      .toContain('passed');
    const progress = await second.request.get(`${env.server.url}api/progress?lab=security-basics`);
    expect(((await progress.json()) as { progress: Array<{ exercise: string; passed: boolean }> }).progress).toEqual([
      expect.objectContaining({ exercise: 'restricted-namespace', passed: true }),
    ]);
    await second.close();
  }, 120_000);
});
