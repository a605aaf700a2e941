import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.ts';
import { projectRoot } from '../helpers/project.ts';
import { startServer, type RunningServer } from '../helpers/server.ts';
import { typeInTerminal, waitForTerminal } from '../helpers/terminal.ts';

const run = promisify(execFile);
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const password = 'a long class password';
let dataDir = '';
let server: RunningServer;
let browser: Browser;
let url = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'browser-classroom-'));
  // The first admin, made the way an operator does: `npm run labs -- admin create`.
  const made = await run(
    process.execPath,
    [join(projectRoot, 'server/cli/labs.ts'), 'admin', 'create', '--username', 'root', '--data-dir', dataDir],
    { cwd: projectRoot, env: { ...process.env, LAB_ADMIN_PASSWORD: 'admin password 1' } },
  );
  expect(made.stdout).toMatch(/Admin account "root" created/);
  server = await startServer(['--data-dir', dataDir]);
  url = server.url;
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Serious, moderate or minor: the new pages have none. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const result = await (
      window as unknown as {
        axe: {
          run: (
            ctx: Document,
            opts: object,
          ) => Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }> }>;
        };
      }
    ).axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/** Signs up through the account page's form, as a learner does. */
async function signUpOnPage(context: BrowserContext, username: string, locale: 'es' | 'en' = 'en'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${url}${locale}/account/`);
  const form = page.locator('form.signup-form');
  await form.waitFor();
  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="email"]').fill(`${username}@school.example`);
  await form.locator('input[name="password"]').fill(password);
  await form.locator('button[type="submit"]').click();
  await page.locator('.signed-in-as', { hasText: username }).waitFor();
  return page;
}

/** The admin (made by the CLI) signs in on the account page and makes an account an instructor there. */
async function makeInstructor(login: string): Promise<void> {
  const admin = await browser.newContext();
  const page = await admin.newPage();
  await page.goto(`${url}en/account/`);
  const signIn = page.locator('form.signin-form');
  await signIn.locator('input[name="login"]').fill('root');
  await signIn.locator('input[name="password"]').fill('admin password 1');
  await signIn.locator('button[type="submit"]').click();
  await page.locator('.signed-in-as', { hasText: 'You are signed in as root (admin).' }).waitFor();
  const form = page.locator('form.admin-role-form');
  await form.getByLabel('Username or email').fill(login);
  await form.getByLabel('Role').selectOption('instructor');
  await form.getByRole('button', { name: 'Change the role' }).click();
  await form.locator('.form-status', { hasText: `${login} now has the role instructor.` }).waitFor();
  expect(await axeViolations(page)).toEqual([]);
  await admin.close();
}

describe('a class in real Chromium', () => {
  it('an instructor creates a class, two learners join, the roster follows live, CSV, ending a session', async () => {
    const teacherContext = await browser.newContext();
    await signUpOnPage(teacherContext, 'teach-ana');
    await makeInstructor('teach-ana');
    const teacher = await teacherContext.newPage();
    await teacher.goto(`${url}en/classes/`);
    const create = teacher.locator('form.create-class-form');
    await create.locator('input[name="name"]').fill('Security, Tuesday group');
    await create.locator('button[type="submit"]').click();
    const created = await create.locator('.form-status', { hasText: 'Join code:' }).textContent();
    const code = /Join code: ([A-Z0-9]{8})/.exec(created ?? '')?.[1];
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);

    const learners: Record<string, { context: BrowserContext; page: Page }> = {};
    for (const name of ['leo', 'mia']) {
      const context = await browser.newContext();
      const page = await signUpOnPage(context, name);
      await page.goto(`${url}en/join/?code=${code}`);
      await page.locator('form.join-form button[type="submit"]').click();
      await page
        .locator('form.join-form .form-status', { hasText: 'You are in the class “Security, Tuesday group”.' })
        .waitFor();
      learners[name] = { context, page };
    }

    await teacher.getByRole('link', { name: /Security, Tuesday group/ }).click();
    const rows = teacher.locator('table.roster tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    const row = (name: string) =>
      teacher.locator('table.roster tbody tr', { has: teacher.getByRole('rowheader', { name }) });
    expect(await row('leo').locator('td[data-module="threat-model"]').textContent()).toMatch(/^0\/\d+$/);
    expect(await row('leo').locator('td.session').textContent()).toBe('None');
    expect(await axeViolations(teacher)).toEqual([]);
    // Marks this document: a reload or navigation would lose it.
    await teacher.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    // Leo does the first exercise on the lab page, with the real kubectl in its terminal.
    const leo = learners.leo!.page;
    await leo.goto(`${url}en/labs/security-basics/`);
    await leo.locator('.lab-status-text', { hasText: 'Your lab is ready.' }).waitFor({ timeout: 30_000 });
    await waitForTerminal(leo, /\$[\s\u00a0]*$/m);
    await typeInTerminal(
      leo,
      'kubectl create namespace shop && kubectl label namespace shop pod-security.kubernetes.io/enforce=restricted',
    );
    await waitForTerminal(leo, 'namespace/shop labeled');
    const exercise = leo.locator('.exercise[data-exercise="restricted-namespace"]');
    await exercise.getByRole('button', { name: 'Check' }).click();
    await exercise.locator('.check-summary', { hasText: 'Exercise passed!' }).waitFor();

    // The instructor's roster shows it without a reload.
    await expect
      .poll(() => row('leo').locator('td[data-module="threat-model"]').textContent(), { timeout: 10_000 })
      .toMatch(/^1\/\d+$/);
    await expect.poll(() => row('leo').locator('td.session').textContent(), { timeout: 10_000 }).toMatch(/^Live: /);
    expect(await row('mia').locator('td[data-module="threat-model"]').textContent()).toMatch(/^0\/\d+$/);
    // The server records lessons and quizzes: their columns show, at nought.
    expect(await teacher.getByRole('columnheader', { name: 'Lessons read' }).isVisible()).toBe(true);
    expect(await row('mia').locator('td.lessonsRead').textContent()).toBe('0');

    // Mia answers a lesson's quiz right and reads it to its end: the roster grows those columns.
    const mia = learners.mia!.page;
    await mia.goto(`${url}en/modules/threat-model/labs-and-grader/`);
    const quiz = mia.locator('form.quiz[data-quiz="grader-1"]');
    await quiz.locator('input[value="1"]').check();
    await quiz.getByRole('button', { name: 'Check answer' }).click();
    await quiz.locator('.quiz-feedback.ok').waitFor();
    await mia.locator('[data-lesson-end]').scrollIntoViewIfNeeded();
    await expect.poll(() => row('mia').locator('td.lessonsRead').textContent(), { timeout: 10_000 }).toBe('1');
    expect(await row('mia').locator('td.quizzesAnswered').textContent()).toBe('1 (1 right)');
    expect(await row('leo').locator('td.lessonsRead').textContent()).toBe('0');
    // Per module, on demand: Leo's exercise, Mia's lesson and quiz, each under M1.
    await row('mia').locator('td.detail summary').click();
    expect(await row('mia').locator('td.detail li').allTextContents()).toEqual([
      expect.stringMatching(/^M1: exercises 0\/\d+ · lessons 1 · quizzes 1 \(1 right\) · hints 0 · solutions 0$/),
    ]);
    await row('leo').locator('td.detail summary').click();
    expect(await row('leo').locator('td.detail li').allTextContents()).toEqual([
      expect.stringMatching(/^M1: exercises 1\/\d+ · lessons 0 · quizzes 0 \(0 right\) · hints 0 · solutions 0$/),
    ]);
    expect(await teacher.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);

    // The CSV the page links to has both learners with their counts.
    const csvHref = await teacher.locator('a.roster-csv').getAttribute('href');
    const csv = await teacherContext.request.get(new URL(csvHref!, teacher.url()).href);
    expect(csv.headers()['content-type']).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^username,email,exercises_passed,attempts,hints_shown,solutions_shown,/);
    expect(lines.slice(1).sort()).toEqual([
      // …, time spent, lessons read, quizzes answered, right, right at the first try, live session.
      expect.stringMatching(/^leo,leo@school\.example,1,1,0,0,\d+,0,0,0,0,security-basics,ready/),
      expect.stringMatching(/^mia,mia@school\.example,0,0,0,0,\d+,1,1,1,1,,/),
    ]);

    // Mia has no session: her buttons are off. The instructor ends Leo's; his lab page says it ended.
    expect(await row('mia').getByRole('button', { name: 'End', exact: true }).isDisabled()).toBe(true);
    teacher.once('dialog', (dialog) => void dialog.accept());
    await row('leo').getByRole('button', { name: 'End', exact: true }).click();
    await teacher.locator('.roster-action', { hasText: 'Session of leo ended.' }).waitFor();
    await leo.locator('.lab-status-text', { hasText: 'This lab session has ended.' }).waitFor({ timeout: 15_000 });
    await expect.poll(() => row('leo').locator('td.session').textContent(), { timeout: 10_000 }).toBe('None');
    expect(await row('leo').locator('td[data-module="threat-model"]').textContent()).toMatch(/^1\/\d+$/);

    // Mia forgot her password: the instructor sets a new one from her row; it signs her out.
    await row('mia').getByRole('button', { name: 'Change password' }).click();
    const reset = teacher.locator('form.password-form');
    await reset.getByLabel('New password for mia').fill('a new password for mia');
    expect(await axeViolations(teacher)).toEqual([]);
    await reset.getByRole('button', { name: 'Change the password' }).click();
    await reset.locator('.form-status', { hasText: 'Password of mia changed' }).waitFor();
    await mia.goto(`${url}en/account/`);
    await mia.locator('form.signin-form').waitFor({ state: 'visible' });
    await mia.locator('form.signin-form input[name="login"]').fill('mia');
    await mia.locator('form.signin-form input[name="password"]').fill('a new password for mia');
    await mia.locator('form.signin-form button[type="submit"]').click();
    await mia.locator('.signed-in-as', { hasText: 'mia' }).waitFor();

    for (const { context } of Object.values(learners)) await context.close();
    await teacherContext.close();
  }, 180_000);

  it('creates a class with dates in the instructor’s local time; outside them nobody joins', async () => {
    const teacherContext = await browser.newContext({ timezoneId: 'Europe/Madrid' });
    await signUpOnPage(teacherContext, 'teach-bo', 'es');
    await makeInstructor('teach-bo');
    const teacher = await teacherContext.newPage();
    await teacher.goto(`${url}es/classes/`);
    const create = teacher.locator('form.create-class-form');
    await create.getByLabel('Nombre de la clase').fill('Curso de verano');
    await create.getByLabel('Abre el (opcional)').fill('2030-07-01T09:00');
    await create.getByLabel('Cierra el (opcional)').fill('2030-06-01T09:00');
    await create.getByRole('button', { name: 'Crear la clase' }).click();
    await create.locator('.form-status.form-error', { hasText: 'La fecha de cierre debe ser posterior' }).waitFor();
    await create.getByLabel('Cierra el (opcional)').fill('2030-07-31T18:00');
    await create.getByRole('button', { name: 'Crear la clase' }).click();
    const created = await create.locator('.form-status', { hasText: 'Código para unirse:' }).textContent();
    const code = /: ([A-Z0-9]{8})$/.exec(created ?? '')?.[1];
    expect(code).toBeDefined();
    // 09:00 in Madrid in July is 07:00 UTC.
    const listed = await teacherContext.request.get(`${url}api/classes`);
    expect((await listed.json()).teaching).toEqual([
      expect.objectContaining({
        name: 'Curso de verano',
        startsAt: '2030-07-01T07:00:00.000Z',
        endsAt: '2030-07-31T16:00:00.000Z',
      }),
    ]);

    const pupilContext = await browser.newContext();
    const pupil = await signUpOnPage(pupilContext, 'early-bird', 'es');
    const join = pupil.locator('form.join-form');
    await join.getByLabel('Código de la clase').fill(code!);
    await join.getByRole('button', { name: 'Unirme' }).click();
    await join.locator('.form-status', { hasText: 'Esta clase todavía no ha abierto.' }).waitFor();
    await pupil.locator('.no-classes').waitFor();
    await pupilContext.close();
    await teacherContext.close();
  }, 60_000);

  it('the account, join and class pages have no axe violations, in Spanish and signed out too', async () => {
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ colorScheme: scheme });
      const page = await context.newPage();
      for (const path of ['es/account/', 'en/account/', 'es/join/', 'es/classes/']) {
        await page.goto(`${url}${path}`);
        await page.waitForLoadState('networkidle');
        for (const v of await axeViolations(page)) found.push(`${scheme} ${path} ${v}`);
      }
      // Signed in: the account page's other half, and the join form.
      await signUpOnPage(context, `axe-${scheme}`, 'es');
      for (const path of ['es/account/', 'es/join/']) {
        await page.goto(`${url}${path}`);
        await page.waitForLoadState('networkidle');
        for (const v of await axeViolations(page)) found.push(`${scheme} ${path} (signed in) ${v}`);
      }
      await context.close();
    }
    expect(found).toEqual([]);
  }, 120_000);

  it('a learner claims anonymous progress, signs out and back in, and deletes the account with its data', async () => {
    const context = await browser.newContext();
    // Before signing up, this browser takes a hint anonymously; signing up on the page claims it.
    await context.request.get(`${url}api/auth/me`);
    const csrf = (await context.cookies()).find((c) => c.name === 'lab_csrf')?.value ?? '';
    const hint = await context.request.post(
      `${url}api/labs/security-basics/exercises/restricted-namespace/hint?lang=es`,
      { headers: { 'x-csrf-token': csrf } },
    );
    expect(hint.status()).toBe(200);
    const page = await signUpOnPage(context, 'rosa', 'es');
    await page.locator('.account-notice', { hasText: 'Tu progreso de este navegador ya está en tu cuenta.' }).waitFor();
    const claimed = await (await context.request.get(`${url}api/progress?lab=security-basics`)).json();
    expect(claimed.progress).toEqual([expect.objectContaining({ exercise: 'restricted-namespace', hintsShown: 1 })]);
    await page.getByRole('button', { name: 'Cerrar sesión' }).click();
    await page.locator('.account-notice', { hasText: 'Ahora usas el curso sin cuenta' }).waitFor();
    expect((await (await context.request.get(`${url}api/auth/me`)).json()).account).toBeNull();

    // This server has no school sign-in (OIDC): only the password forms.
    expect(await page.locator('.oidc-box').isHidden()).toBe(true);
    const signIn = page.locator('form.signin-form');
    await signIn.locator('input[name="login"]').fill('rosa');
    await signIn.locator('input[name="password"]').fill('not the password');
    await signIn.locator('button[type="submit"]').click();
    await signIn.locator('.form-status', { hasText: 'Usuario, correo o contraseña incorrectos.' }).waitFor();
    await signIn.locator('input[name="password"]').fill(password);
    await signIn.locator('button[type="submit"]').click();
    await page.locator('.signed-in-as', { hasText: 'rosa (estudiante)' }).waitFor();
    expect(await page.locator('.admin-box').isHidden()).toBe(true);
    await page.locator('.no-certificates', { hasText: 'Aún no tienes certificados' }).waitFor();
    expect(await page.locator('.certificates li').count()).toBe(0);

    // A learner's class page says it is for instructors and shows no roster.
    const classes = await context.newPage();
    await classes.goto(`${url}es/classes/`);
    await classes.locator('.classes-notice', { hasText: 'Esta página es para docentes.' }).waitFor();
    expect(await classes.locator('.when-instructor').isHidden()).toBe(true);

    const remove = page.locator('form.delete-form');
    await remove.locator('input[name="password"]').fill(password);
    await remove.locator('button[type="submit"]').click();
    await page.locator('.account-notice', { hasText: 'Tu cuenta y tus datos se han borrado.' }).waitFor();
    const again = await context.request.get(`${url}api/auth/me`);
    expect((await again.json()).account).toBeNull();
    // The account is gone: its password signs nobody in.
    await signIn.locator('input[name="login"]').fill('rosa');
    await signIn.locator('input[name="password"]').fill(password);
    await signIn.locator('button[type="submit"]').click();
    await signIn.locator('.form-status', { hasText: 'Usuario, correo o contraseña incorrectos.' }).waitFor();
    await context.close();
  }, 90_000);
});
