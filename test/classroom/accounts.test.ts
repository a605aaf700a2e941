import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommand } from '../../server/cli/admin.ts';
import type { LabServer } from '../../server/lab/server.ts';
import { startAppServer, type RunningAppServer } from '../helpers/app-server.ts';
import { BrowserLikeClient } from '../helpers/browser-like-client.ts';
import { projectRoot } from '../helpers/project.ts';

const lab = 'security-basics';
const exercise = 'restricted-namespace';
const hintPath = `/api/labs/${lab}/exercises/${exercise}/hint?lang=en`;
let app: RunningAppServer;
let dataDir: string;
let labServer: LabServer;
let base: string;

beforeAll(async () => {
  app = await startAppServer('accounts-');
  ({ dataDir, labServer, base } = app);
});

afterAll(async () => {
  await app?.close();
});

async function signUp(username: string, password = 'correct horse battery') {
  const client = new BrowserLikeClient(base);
  await client.request('GET', '/api/auth/me');
  const res = await client.request('POST', '/api/auth/signup', {
    username,
    email: `${username}@example.org`,
    password,
  });
  expect(res.status).toBe(201);
  return client;
}

describe('accounts', () => {
  it('claims anonymous progress at sign-up and shows it in a second browser that signs in', async () => {
    const first = new BrowserLikeClient(base);
    const me = await first.request('GET', '/api/auth/me');
    expect(me.json).toMatchObject({ account: null });
    expect(typeof me.json.csrfToken).toBe('string');
    expect((await first.request('POST', hintPath)).status).toBe(200);
    const anonymousId = first.jar.get('lab_learner')!;

    const signedUp = await first.request('POST', '/api/auth/signup', {
      username: 'Maria',
      email: 'maria@example.org',
      password: 'correct horse battery',
    });
    expect(signedUp.status).toBe(201);
    expect(signedUp.json.account).toMatchObject({ username: 'maria', role: 'learner' });
    const session = first.lastSetCookies.find((c) => c.startsWith('lab_session='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(first.lastSetCookies.find((c) => c.startsWith('lab_csrf='))).not.toMatch(/HttpOnly/);
    expect(first.jar.get('lab_learner')).not.toBe(anonymousId);

    const second = new BrowserLikeClient(base);
    await second.request('GET', '/api/auth/me');
    const signedIn = await second.request('POST', '/api/auth/signin', {
      login: 'MARIA@example.org',
      password: 'correct horse battery',
    });
    expect(signedIn.status).toBe(200);
    const progress = await second.request('GET', `/api/progress?lab=${lab}`);
    expect(progress.json.progress).toEqual([
      { lab, exercise, passed: false, attempts: 0, hintsShown: 1, solutionShown: false },
    ]);

    // The anonymous cookie from before sign-up no longer reaches the account's progress.
    const copied = new BrowserLikeClient(base);
    copied.jar.set('lab_learner', anonymousId);
    expect((await copied.request('GET', `/api/progress?lab=${lab}`)).json.progress).toEqual([]);
  });

  it('requires the CSRF token on every POST and DELETE made with a sign-in', async () => {
    const client = await signUp('csrf-learner');
    expect((await client.request('POST', hintPath, undefined, { csrf: false })).status).toBe(403);
    const wrong = await client.request('POST', hintPath, undefined, { csrf: 'x'.repeat(32) });
    expect(wrong.status).toBe(403);
    expect(wrong.json.error).toBe('csrf');
    expect(
      (await client.request('DELETE', '/api/auth/account', { password: 'correct horse battery' }, { csrf: false }))
        .status,
    ).toBe(403);
    expect((await client.request('POST', '/api/auth/signout', undefined, { csrf: false })).status).toBe(403);
    expect((await client.request('POST', hintPath)).status).toBe(200);
    // Sign-up and sign-in need the form's token too (login CSRF).
    const fresh = new BrowserLikeClient(base);
    await fresh.request('GET', '/api/auth/me');
    const noToken = await fresh.request(
      'POST',
      '/api/auth/signin',
      { login: 'csrf-learner', password: 'correct horse battery' },
      { csrf: false },
    );
    expect(noToken.status).toBe(403);
  });

  it('rate-limits wrong passwords: after five, even the right one waits', async () => {
    await signUp('target', 'the right password');
    const attacker = new BrowserLikeClient(base);
    await attacker.request('GET', '/api/auth/me');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (await attacker.request('POST', '/api/auth/signin', { login: 'target', password: `guess-${i}-xxxx` })).status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const blocked = await attacker.request('POST', '/api/auth/signin', {
      login: 'target',
      password: 'the right password',
    });
    expect(blocked.status).toBe(429);
    expect(blocked.json.error).toBe('rate_limited');
    expect(attacker.jar.has('lab_session')).toBe(false);
  });

  it('signs out on the server: the old cookie no longer signs in', async () => {
    const client = await signUp('leaver');
    const token = client.jar.get('lab_session')!;
    expect((await client.request('POST', '/api/auth/signout')).status).toBe(200);
    expect((await client.request('GET', '/api/auth/me')).json.account).toBeNull();
    const replay = new BrowserLikeClient(base);
    replay.jar.set('lab_session', token);
    expect((await replay.request('GET', '/api/auth/me')).json.account).toBeNull();
  });

  it('refuses bad sign-ups with a clear error and keeps taken names', async () => {
    const client = new BrowserLikeClient(base);
    await client.request('GET', '/api/auth/me');
    const weak = await client.request('POST', '/api/auth/signup', { username: 'shorty', password: 'short' });
    expect([weak.status, weak.json.error]).toEqual([400, 'weak_password']);
    const badName = await client.request('POST', '/api/auth/signup', { username: 'a@b', password: 'long enough pw' });
    expect([badName.status, badName.json.error]).toEqual([400, 'bad_username']);
    await signUp('taken');
    const taken = await client.request('POST', '/api/auth/signup', { username: 'TAKEN', password: 'long enough pw' });
    expect([taken.status, taken.json.error]).toEqual([409, 'username_taken']);
  });

  it('makes the first admin from the CLI; only an admin changes roles', async () => {
    process.env.LAB_ADMIN_PASSWORD = 'admin password 1';
    try {
      expect(await adminCommand('create', ['--username', 'root', '--data-dir', dataDir], projectRoot)).toMatch(
        /Admin account "root" created/,
      );
    } finally {
      delete process.env.LAB_ADMIN_PASSWORD;
    }
    const learner = await signUp('would-be-teacher');
    const refused = await learner.request('POST', '/api/admin/accounts/role', {
      login: 'would-be-teacher',
      role: 'admin',
    });
    expect(refused.status).toBe(403);
    const admin = new BrowserLikeClient(base);
    await admin.request('GET', '/api/auth/me');
    expect(
      (await admin.request('POST', '/api/auth/signin', { login: 'root', password: 'admin password 1' })).json.account,
    ).toMatchObject({ role: 'admin' });
    const promoted = await admin.request('POST', '/api/admin/accounts/role', {
      login: 'would-be-teacher',
      role: 'instructor',
    });
    expect(promoted.json.account).toMatchObject({ username: 'would-be-teacher', role: 'instructor' });
    expect((await learner.request('GET', '/api/auth/me')).json.account).toMatchObject({ role: 'instructor' });
  });

  it('deletes an account and its progress when its owner confirms with the password', async () => {
    const client = await signUp('forget-me');
    await client.request('POST', hintPath);
    const id = ((await client.request('GET', '/api/auth/me')).json.account as { id: string }).id;
    const wrong = await client.request('DELETE', '/api/auth/account', { password: 'not my password' });
    expect(wrong.status).toBe(401);
    expect((await client.request('DELETE', '/api/auth/account', { password: 'correct horse battery' })).status).toBe(
      200,
    );
    expect(await labServer.classroom.accountById(id)).toBeUndefined();
    const again = new BrowserLikeClient(base);
    await again.request('GET', '/api/auth/me');
    expect(
      (await again.request('POST', '/api/auth/signin', { login: 'forget-me', password: 'correct horse battery' }))
        .status,
    ).toBe(401);
  });
});
