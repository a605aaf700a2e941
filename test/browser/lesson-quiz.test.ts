import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useLabServerAndChromium } from '../helpers/lab-browser.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const env = useLabServerAndChromium('browser-quiz-');
const lesson = 'modules/threat-model/labs-and-grader/';

const strings = {
  es: {
    check: 'Comprobar respuesta',
    wrong: 'No es correcto; inténtalo de nuevo.',
    right: 'Correcto.',
    explanation: 'El mínimo privilegio tiene dos mitades',
    offline: 'Las respuestas las comprueba el servidor de laboratorios, y no responde',
    read: 'Leída',
    lessons: /^1 lección leída de \d+$/,
    quizzes: '2 cuestionarios respondidos, 2 acertados',
  },
  en: {
    check: 'Check answer',
    wrong: 'Not quite; try again.',
    right: 'Correct.',
    explanation: 'Least privilege has two halves',
    offline: 'Answers are checked by the lab server, which is not answering',
    read: 'Read',
    lessons: /^1 lesson read out of \d+$/,
    quizzes: '2 quizzes answered, 2 right',
  },
};

/** The lesson page's HTML and every script it loads, as the browser gets them. */
async function shipped(page: Page, url: string): Promise<string> {
  const html = await (await page.request.get(url)).text();
  const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => new URL(m[1]!, url).href);
  const bodies = await Promise.all(scripts.map(async (src) => (await page.request.get(src)).text()));
  return [html, ...bodies].join('\n');
}

async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (d: Document) => Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }> }>;
        };
      }
    ).axe;
    const result = await axe.run(document);
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

describe.each(['es', 'en'] as const)('lesson quizzes graded by the lab server (/%s/)', (locale) => {
  const s = strings[locale];

  it('ships no answer key, answers wrong then right with styled results, and records it in progress', async () => {
    // One locale in the light scheme, the other in the dark one: axe checks both result styles.
    const context = await env.browser.newContext({ colorScheme: locale === 'es' ? 'light' : 'dark' });
    const page = await context.newPage();
    const url = `${env.server.url}${locale}/${lesson}`;
    const source = await shipped(page, url);
    expect(source).toContain('data-quiz="grader-1"');
    expect(source).not.toContain(s.explanation);
    expect(source).not.toMatch(/data-expected|"answer":/);

    // The lesson is recorded as read once its end scrolls into view, not on opening the page.
    let readAt = 0;
    page.on('response', (r) => {
      if (r.url().endsWith('/labs-and-grader/read') && r.status() === 200) readAt = Date.now();
    });
    await page.goto(url);
    await page.waitForLoadState('networkidle');
    expect(readAt).toBe(0);
    const quiz = page.locator('form.quiz[data-quiz="grader-1"]');
    expect(await quiz.locator('.quiz-explanation').textContent()).toBe('');
    await quiz.locator('input[value="2"]').check();
    await quiz.getByRole('button', { name: s.check }).click();
    const feedback = quiz.locator('.quiz-feedback');
    await quiz.locator('.quiz-feedback.ko', { hasText: s.wrong }).waitFor();
    expect(await quiz.locator('.quiz-explanation').isVisible()).toBe(false);
    const wrongLook = await feedback.evaluate((el) => ({
      color: getComputedStyle(el).color,
      icon: getComputedStyle(el, '::before').content,
    }));
    expect(wrongLook.icon).toContain('✗');

    await quiz.locator('input[value="1"]').check();
    await quiz.getByRole('button', { name: s.check }).click();
    await quiz.locator('.quiz-feedback.ok', { hasText: s.right }).waitFor();
    const explanation = quiz.locator('.quiz-explanation');
    expect(await explanation.isVisible()).toBe(true);
    expect(await explanation.innerText()).toContain(s.explanation);
    // Both inside the live region, so a screen reader hears the verdict and the why.
    expect(await quiz.locator('[role="status"] .quiz-explanation').count()).toBe(1);
    const rightLook = await feedback.evaluate((el) => ({
      color: getComputedStyle(el).color,
      icon: getComputedStyle(el, '::before').content,
    }));
    expect(rightLook.icon).toContain('✓');
    expect(rightLook.color).not.toBe(wrongLook.color);

    const second = page.locator('form.quiz[data-quiz="grader-2"]');
    await second.locator('input[value="1"]').check();
    await second.getByRole('button', { name: s.check }).click();
    await second.locator('.quiz-feedback.ok').waitFor();

    await page.locator('[data-lesson-end]').scrollIntoViewIfNeeded();
    await expect.poll(() => readAt).toBeGreaterThan(0);

    expect(await axeViolations(page)).toEqual([]);

    // The progress page reads it from the server, even with the browser's storage cleared.
    await page.evaluate(() => localStorage.clear());
    await page.goto(`${env.server.url}${locale}/progress/`);
    const row = page.locator('.progress-module[data-module="threat-model"] tr[data-lesson="labs-and-grader"]');
    await row.locator('.lesson-status', { hasText: s.read }).waitFor();
    expect(await row.locator('.lesson-quizzes').innerText()).toBe('2/2');
    expect(await page.locator('.summary-lessons').innerText()).toMatch(s.lessons);
    expect(await page.locator('.summary-quizzes').innerText()).toBe(s.quizzes);
    expect(await page.locator('tr[data-lesson="shared-responsibility"] .lesson-status').innerText()).not.toBe(s.read);
    await context.close();
  }, 60_000);

  it("shows the learner's last answers again after a reload, from the lab server and not the browser", async () => {
    const context = await env.browser.newContext({ colorScheme: locale === 'es' ? 'dark' : 'light' });
    const page = await context.newPage();
    const url = `${env.server.url}${locale}/${lesson}`;
    await page.goto(url);
    const first = page.locator('form.quiz[data-quiz="grader-1"]');
    const second = page.locator('form.quiz[data-quiz="grader-2"]');
    await first.locator('input[value="2"]').check();
    await first.getByRole('button', { name: s.check }).click();
    await first.locator('.quiz-feedback.ko').waitFor();
    await first.locator('input[value="1"]').check();
    await first.getByRole('button', { name: s.check }).click();
    await first.locator('.quiz-feedback.ok').waitFor();
    await second.locator('input[value="0"]').check();
    await second.getByRole('button', { name: s.check }).click();
    await second.locator('.quiz-feedback.ko').waitFor();

    // Another browser context with only this learner's cookie: no storage of the first page at all.
    const cookies = await context.cookies();
    expect(cookies.some((c) => c.name === 'lab_learner')).toBe(true);
    await context.close();
    const again = await env.browser.newContext({ colorScheme: locale === 'es' ? 'dark' : 'light' });
    await again.addCookies(cookies);
    const reopened = await again.newPage();
    await reopened.goto(url);
    const right = reopened.locator('form.quiz[data-quiz="grader-1"]');
    const wrong = reopened.locator('form.quiz[data-quiz="grader-2"]');
    await right.locator('.quiz-feedback.ok', { hasText: s.right }).waitFor();
    expect(await right.locator('input[value="1"]').isChecked()).toBe(true);
    for (const other of ['0', '2', '3']) expect(await right.locator(`input[value="${other}"]`).isChecked()).toBe(false);
    expect(await right.locator('.quiz-explanation').isVisible()).toBe(true);
    expect(await right.locator('.quiz-explanation').innerText()).toContain(s.explanation);
    await wrong.locator('.quiz-feedback.ko', { hasText: s.wrong }).waitFor();
    expect(await wrong.locator('input[value="0"]').isChecked()).toBe(true);
    expect(await wrong.locator('input[value="1"]').isChecked()).toBe(false);
    expect(await wrong.locator('.quiz-explanation').isVisible()).toBe(false);
    expect(await axeViolations(reopened)).toEqual([]);
    // The learner can answer again from there.
    await wrong.locator('input[value="1"]').check();
    await wrong.getByRole('button', { name: s.check }).click();
    await wrong.locator('.quiz-feedback.ok', { hasText: s.right }).waitFor();
    await again.close();

    // A learner who never answered sees nothing chosen and no verdict.
    const stranger = await env.browser.newPage();
    await stranger.goto(url);
    await stranger.waitForLoadState('networkidle');
    const blank = stranger.locator('form.quiz[data-quiz="grader-1"]');
    expect(await blank.locator('input:checked').count()).toBe(0);
    expect(await blank.locator('.quiz-feedback').textContent()).toBe('');
    await stranger.close();
  }, 60_000);

  it('shows a short answer typed earlier again after a reload', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    const url = `${env.server.url}${locale}/modules/supply-chain-build/trusted-images/`;
    await page.goto(url);
    const quiz = page.locator('form.quiz[data-quiz="trusted-1"]');
    await quiz.locator('input[type="text"]').fill('  Docker.IO ');
    await quiz.getByRole('button', { name: s.check }).click();
    await quiz.locator('.quiz-feedback.ok').waitFor();
    await page.evaluate(() => {
      localStorage.clear();
      sessionStorage.clear();
    });
    await page.reload();
    await quiz.locator('.quiz-feedback.ok', { hasText: s.right }).waitFor();
    expect(await quiz.locator('input[type="text"]').inputValue()).toBe('  Docker.IO ');
    expect(await quiz.locator('.quiz-explanation code', { hasText: 'docker.io/shop/api:1.4.0' }).count()).toBe(1);
    await context.close();
  }, 60_000);

  it('grades a short answer typed with other case and spaces', async () => {
    const page = await env.browser.newPage();
    await page.goto(`${env.server.url}${locale}/modules/supply-chain-build/trusted-images/`);
    const quiz = page.locator('form.quiz[data-quiz="trusted-1"]');
    await quiz.locator('input[type="text"]').fill('ghcr.io');
    await quiz.getByRole('button', { name: s.check }).click();
    await quiz.locator('.quiz-feedback.ko', { hasText: s.wrong }).waitFor();
    await quiz.locator('input[type="text"]').fill('  Docker.IO ');
    await quiz.getByRole('button', { name: s.check }).click();
    await quiz.locator('.quiz-feedback.ok', { hasText: s.right }).waitFor();
    // Markdown in the question and the explanation renders: no stray backticks.
    expect(await quiz.locator('legend code').first().innerText()).toBe('image: shop/api:1.4.0');
    expect(await quiz.locator('.quiz-explanation code', { hasText: 'docker.io/shop/api:1.4.0' }).count()).toBe(1);
    expect(await quiz.locator('.quiz-explanation').innerText()).not.toContain('`');
    await page.close();
  }, 60_000);

  it('says in the page language that the lab server is needed when it does not answer', async () => {
    const context = await env.browser.newContext({ colorScheme: locale === 'es' ? 'dark' : 'light' });
    const page = await context.newPage();
    await page.goto(`${env.server.url}${locale}/${lesson}`);
    const quiz = page.locator('form.quiz[data-quiz="grader-1"]');
    await quiz.locator('input[value="1"]').check();
    // A static copy of the site: the host answers its own HTML 404 page.
    await page.route('**/api/lessons/**', (route) =>
      route.fulfill({ status: 404, contentType: 'text/html', body: '<h1>Not Found</h1>' }),
    );
    await quiz.getByRole('button', { name: s.check }).click();
    await quiz.locator('.quiz-feedback.off', { hasText: s.offline }).waitFor();
    await quiz.evaluate((form) => (form.querySelector('.quiz-feedback')!.textContent = ''));
    // No server at all.
    await page.unroute('**/api/lessons/**');
    await page.route('**/api/lessons/**', (route) => route.abort('connectionrefused'));
    await quiz.getByRole('button', { name: s.check }).click();
    await quiz.locator('.quiz-feedback.off', { hasText: s.offline }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  }, 60_000);
});

describe('quiz options on a phone', () => {
  it('are stacked one per line, each at least as tall as a finger', async () => {
    const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${env.server.url}es/${lesson}`);
    const boxes = await page
      .locator('form.quiz[data-quiz="grader-1"] .quiz-option')
      .evaluateAll((labels) => labels.map((l) => l.getBoundingClientRect().toJSON() as DOMRect));
    expect(boxes.length).toBe(4);
    for (const [i, box] of boxes.entries()) {
      expect(box.height).toBeGreaterThanOrEqual(24);
      if (i > 0) {
        expect(box.y).toBeGreaterThanOrEqual(boxes[i - 1]!.y + boxes[i - 1]!.height);
        expect(box.x).toBe(boxes[0]!.x);
      }
    }
    await context.close();
  }, 60_000);
});
