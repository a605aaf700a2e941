import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServer } from '../../server/app.ts';
import { OidcClient, OidcSignInError } from '../../server/classroom/oidc.ts';
import { readConfig, ConfigError } from '../../server/config.ts';
import { createLabServer, type LabServer } from '../../server/lab/server.ts';
import { BrowserLikeClient } from '../helpers/browser-like-client.ts';
import { startOidcProvider, testClient, type TestProvider } from '../helpers/oidc-provider.ts';
import { distDir } from '../helpers/project.ts';

/**
 * OIDC sign-in against real OpenID Connect providers (oidc-provider, with its development
 * login and consent pages) running in this process, driven over HTTP the way a browser goes:
 * redirects followed by hand, cookies kept per origin, forms posted.
 */

const { clientId, clientSecret } = testClient;
let dir: string;
let labServer: LabServer;
let labHttp: Server;
let lab: string;
const providers: TestProvider[] = [];

async function listen(server: Server, host: string): Promise<string> {
  server.listen(0, host);
  await once(server, 'listening');
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

async function startProvider(redirectUri: string): Promise<string> {
  const provider = await startOidcProvider(redirectUri);
  providers.push(provider);
  return provider.issuer;
}

/** Cookies per origin (the providers and the lab server differ in host or port), as a browser keeps them. */
class Jar {
  private readonly byOrigin = new Map<string, Map<string, string>>();
  header(url: string): string {
    return [...(this.byOrigin.get(new URL(url).origin) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(url: string, name: string): string | undefined {
    return this.byOrigin.get(new URL(url).origin)?.get(name);
  }
  keep(url: string, res: Response): void {
    const origin = new URL(url).origin;
    const cookies = this.byOrigin.get(origin) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) cookies.delete(name);
      else cookies.set(name, value);
    }
    this.byOrigin.set(origin, cookies);
  }
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = this.header(url);
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    this.keep(url, res);
    return res;
  }
}

/**
 * Follows the provider's pages from its authorization URL as `login`: the login form, the
 * consent form, and the redirects between. Returns the URL it finally sends the browser back to.
 */
async function atProvider(jar: Jar, authorizationUrl: string, login: string): Promise<string> {
  let url = authorizationUrl;
  for (let step = 0; step < 20; step++) {
    const res = await jar.request(url);
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location')!, url).href;
      if (next.startsWith(`${lab}/`)) return next;
      url = next;
      continue;
    }
    const html = await res.text();
    expect(res.status, html).toBe(200);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    expect(action, html).toBeDefined();
    const form: Record<string, string> = /name="login"/.test(html)
      ? { prompt: 'login', login, password: 'any password' }
      : { prompt: 'consent' };
    const posted = await jar.request(new URL(action!.replace(/&amp;/g, '&'), url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    expect(posted.status).toBeGreaterThanOrEqual(300);
    expect(posted.status).toBeLessThan(400);
    const next = new URL(posted.headers.get('location')!, url).href;
    if (next.startsWith(`${lab}/`)) return next;
    url = next;
  }
  throw new Error('the provider never sent the browser back');
}

/** The lab server's start: a redirect to the provider, with the flow cookie set. */
async function start(jar: Jar, returnTo = '/en/progress/'): Promise<string> {
  const res = await jar.request(`${lab}/api/auth/oidc/start?return=${encodeURIComponent(returnTo)}`);
  expect(res.status).toBe(302);
  expect(res.headers.getSetCookie().join('\n')).toMatch(
    /lab_oidc=[^;]+; Path=\/api\/auth\/oidc; HttpOnly; SameSite=Lax/,
  );
  return res.headers.get('location')!;
}

async function me(jar: Jar): Promise<{ username: string; role: string; email: string | null; id: string } | null> {
  const res = await jar.request(`${lab}/api/auth/me`);
  return (
    (await res.json()) as { account: { username: string; role: string; email: string | null; id: string } | null }
  ).account;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oidc-'));
  await chmod(dir, 0o711); // learners (other uids) pass through to their workspaces
  await mkdir(join(dir, 'labs'));
  // The lab server's port first: the providers register its callback.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  labHttp = createServer((req, res) => handler(req, res));
  lab = await listen(labHttp, '127.0.0.1');
  const redirectUrl = `${lab}/api/auth/oidc/callback`;
  const issuer = await startProvider(redirectUrl);
  await startProvider(redirectUrl); // another provider, with the same client: the wrong issuer
  labServer = await createLabServer({
    dataDir: join(dir, 'data'),
    labsDir: join(dir, 'labs'),
    backend: 'embedded',
    bwrap: false,
    oidc: { issuer, clientId, clientSecret, redirectUrl, name: 'Test School' },
  });
  const app = createAppServer(distDir, labServer.http);
  handler = (req, res) => app.emit('request', req, res);
});

afterAll(async () => {
  labHttp?.closeAllConnections();
  labHttp?.close();
  for (const p of providers) p.close();
  await labServer?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('OIDC sign-in', () => {
  it('says it is on, and what the provider is called', async () => {
    const res = await fetch(`${lab}/api/auth/oidc`);
    expect(await res.json()).toEqual({ enabled: true, name: 'Test School', start: '/api/auth/oidc/start' });
  });

  it('signs a first-time subject in as a new learner, keeping what the browser did anonymously', async () => {
    const jar = new Jar();
    expect(await me(jar)).toBeNull();
    const anonymous = jar.get(lab, 'lab_learner')!;
    expect(anonymous).toBeTruthy();
    await labServer.classroom.recordAttempt(anonymous, 'some-lab', 'first-exercise', true, []);

    const authorization = new URL(await start(jar));
    expect(authorization.origin).toBe(providers[0]!.issuer);
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization.searchParams.get('state')).toBeTruthy();
    expect(authorization.searchParams.get('nonce')).toBeTruthy();
    expect(authorization.searchParams.get('redirect_uri')).toBe(`${lab}/api/auth/oidc/callback`);

    const callback = await atProvider(jar, authorization.href, 'alice');
    expect(new URL(callback).searchParams.get('code')).toBeTruthy();
    const back = await jar.request(callback);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/en/progress/');
    const cookies = back.headers.getSetCookie().join('\n');
    expect(cookies).toMatch(/lab_session=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict/);
    expect(cookies).toMatch(/lab_oidc=; Path=\/api\/auth\/oidc;[^\n]*Max-Age=0/);

    // The session cookie signs the browser in: a learner account named after the subject.
    const account = await me(jar);
    expect(account).toMatchObject({ username: 'alice', role: 'learner', email: 'alice@school.example' });
    const progress = await jar.request(`${lab}/api/progress`);
    expect(((await progress.json()) as { progress: Array<{ exercise: string }> }).progress).toMatchObject([
      { lab: 'some-lab', exercise: 'first-exercise', passed: true },
    ]);
    // It has no password to sign in with.
    const browser = new BrowserLikeClient(lab);
    await browser.request('GET', '/api/auth/me');
    const byPassword = await browser.request('POST', '/api/auth/signin', { login: 'alice', password: '!oidc' });
    expect([byPassword.status, byPassword.json.error]).toEqual([401, 'invalid_credentials']);

    const meNow = (await (await jar.request(`${lab}/api/auth/me`)).json()) as { signInWith: string };
    expect(meNow.signInWith).toBe('oidc');

    // The same subject from another browser is the same account, not a new one.
    const other = new Jar();
    await me(other);
    expect((await other.request(await atProvider(other, await start(other), 'alice'))).status).toBe(303);
    expect((await me(other))?.id).toBe(account!.id);
  });

  it('deletes such an account when its username is typed to confirm (it has no password)', async () => {
    const jar = new Jar();
    await me(jar);
    expect((await jar.request(await atProvider(jar, await start(jar), 'dora'))).status).toBe(303);
    const account = (await me(jar))!;
    const remove = (body: unknown) =>
      jar.request(`${lab}/api/auth/account`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json', 'x-csrf-token': jar.get(lab, 'lab_csrf')! },
        body: JSON.stringify(body),
      });
    const refused = await remove({ confirm: 'somebody-else' });
    expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([400, 'confirm_username']);
    expect((await remove({ confirm: 'dora' })).status).toBe(200);
    expect(await labServer.classroom.accountById(account.id)).toBeUndefined();
    expect(await labServer.classroom.accountByOidc(providers[0]!.issuer, 'dora')).toBeUndefined();
    expect(await me(jar)).toBeNull();
  });

  it('refuses a callback whose state is not the one it sent, or that another browser started', async () => {
    const jar = new Jar();
    await me(jar);
    const callback = new URL(await atProvider(jar, await start(jar, '/es/'), 'bob'));
    const forged = new URL(callback);
    forged.searchParams.set('state', 'not-the-state-that-was-sent');
    const refused = await jar.request(forged.href);
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toContain('<html lang="es">');
    expect(page).toContain('data-reason="state"');
    expect(page).toContain('No se pudo iniciar sesión');
    expect(refused.headers.getSetCookie().join('\n')).not.toContain('lab_session=');
    expect(await me(jar)).toBeNull();
    // The flow was single-use: the genuine answer does not work after that either.
    expect((await jar.request(callback.href)).status).toBe(400);
    expect(await me(jar)).toBeNull();

    // A genuine answer brought to another browser (login CSRF): no flow of its own, refused.
    const victim = new Jar();
    await me(victim);
    const attacker = new Jar();
    const stolen = await atProvider(attacker, await start(attacker), 'mallory');
    const res = await victim.request(stolen);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('data-reason="state"');
    expect(await me(victim)).toBeNull();
    expect(await labServer.classroom.accountByLogin('mallory')).toBeUndefined();
  });

  it('refuses an answer from another issuer', async () => {
    const jar = new Jar();
    await me(jar);
    // The lab server's request taken to the other provider, which knows the same client.
    const authorization = new URL(await start(jar));
    const elsewhere = new URL(authorization.pathname + authorization.search, providers[1]!.issuer);
    const callback = new URL(await atProvider(jar, elsewhere.href, 'carol'));
    expect(callback.searchParams.get('iss')).toBe(providers[1]!.issuer);
    const refused = await jar.request(callback.href);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('data-reason="response"');
    expect(await me(jar)).toBeNull();
    expect(await labServer.classroom.accountByLogin('carol')).toBeUndefined();
  });

  it('refuses a provider whose discovery document names another issuer', async () => {
    // Same provider, reached by another name: its metadata says "localhost", not "127.0.0.1".
    const port = new URL(providers[0]!.issuer).port;
    const client = new OidcClient({
      issuer: `http://127.0.0.1:${port}`,
      clientId,
      clientSecret,
      redirectUrl: `${lab}/api/auth/oidc/callback`,
    });
    const error = await client.start('/en/', 'learner').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OidcSignInError);
    expect((error as OidcSignInError).reason).toBe('unavailable');
    expect(String((error as Error).message)).toMatch(/issuer/i);
  });
});

describe('OIDC settings (flags and LAB_OIDC_* variables)', () => {
  it('read the provider, with the secret from the environment and the redirect URL from the public URL', () => {
    const c = readConfig(
      [
        '--oidc-issuer',
        'https://login.school.example',
        '--oidc-client-id',
        'course',
        '--public-url',
        'https://labs.school.example',
      ],
      { LAB_OIDC_CLIENT_SECRET: 's3cret', LAB_OIDC_NAME: 'School' },
    );
    expect(c.oidc).toEqual({
      issuer: 'https://login.school.example',
      clientId: 'course',
      clientSecret: 's3cret',
      redirectUrl: 'https://labs.school.example/api/auth/oidc/callback',
      name: 'School',
    });
    expect(readConfig([], {}).oidc).toBeUndefined();
  });

  it('refuse an http issuer off this machine, a missing client id, and a callback elsewhere', () => {
    const read = (args: string[]) => () => readConfig(args, {});
    const base = ['--oidc-redirect-url', 'https://labs.example/api/auth/oidc/callback'];
    expect(read(['--oidc-issuer', 'http://login.school.example', '--oidc-client-id', 'c', ...base])).toThrow(
      /must be https/,
    );
    expect(read(['--oidc-issuer', 'https://login.school.example', ...base])).toThrow(/--oidc-client-id/);
    expect(
      read([
        '--oidc-issuer',
        'https://l.example',
        '--oidc-client-id',
        'c',
        '--oidc-redirect-url',
        'https://labs.example/x',
      ]),
    ).toThrow(ConfigError);
    expect(read(['--oidc-issuer', 'http://localhost:8080', '--oidc-client-id', 'c', ...base])().oidc?.issuer).toBe(
      'http://localhost:8080',
    );
  });
});
