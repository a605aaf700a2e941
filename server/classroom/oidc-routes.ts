import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Locale } from '../../src/contracts/locales.ts';
import { ApiError } from '../../src/contracts/protocol.ts';
import { cookies, sendJson } from '../http/json.ts';
import { preferredLocale } from '../http/locale-redirect.ts';
import { viaHttps, type WebSecurity } from '../http/security.ts';
import { AccountConflictError, type Account, type ClassroomStore } from '../lab/store/types.ts';
import { escapeHtml, htmlPage, pageHeaders } from './html-page.ts';
import type { Identities, Identity } from './identity.ts';
import { OidcSignInError, type OidcClient, type OidcIdentity, type PendingSignIn } from './oidc.ts';
import { oidcText } from './oidc-texts.ts';
import { noPasswordHash } from './passwords.ts';

export interface OidcContext {
  store: ClassroomStore;
  identities: Identities;
  security: WebSecurity;
  /** Undefined when the server has no OIDC provider configured. */
  oidc?: OidcClient;
}

const flowCookie = 'lab_oidc';
const flowPath = '/api/auth/oidc';
const flowSeconds = 600;

/** A path on this site to come back to: /<locale>/…, nothing that leaves it ("//host", "/\\host"). */
function safeReturn(value: string | null, fallback: string): string {
  if (!value || value.length > 300) return fallback;
  if (!/^\/(es|en)(\/[A-Za-z0-9._~\-/]*)?$/.test(value) || value.includes('//')) return fallback;
  return value;
}

/** The locale of a path safeReturn let through: it always starts with /es or /en. */
function returnLocale(returnTo: string): Locale {
  return returnTo.split('/')[1] as Locale;
}

function flowCookieLine(req: IncomingMessage, security: WebSecurity, value: string, maxAge: number): string {
  const secure = viaHttps(req, security) ? '; Secure' : '';
  // Lax, not Strict: the provider's redirect back is a cross-site navigation, and must carry it.
  return `${flowCookie}=${value}; Path=${flowPath}; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
}

/** The key that signs flow cookies (so a browser cannot name another learner id in one); in the store. */
function flowKey(store: ClassroomStore): Promise<Buffer> {
  return store
    .serverKey('oidc-flow-hmac', () => ({ privatePem: randomBytes(32).toString('base64url'), publicPem: '' }))
    .then((k) => Buffer.from(k.privatePem, 'base64url'));
}

async function sealPending(store: ClassroomStore, pending: PendingSignIn): Promise<string> {
  const body = Buffer.from(JSON.stringify({ ...pending, at: Date.now() })).toString('base64url');
  return `${body}.${createHmac('sha256', await flowKey(store))
    .update(body)
    .digest('base64url')}`;
}

async function readPending(store: ClassroomStore, req: IncomingMessage): Promise<PendingSignIn | undefined> {
  const raw = cookies(req.headers.cookie)[flowCookie];
  if (!raw || raw.length > 2048) return undefined;
  const [body = '', mac = ''] = raw.split('.');
  const expected = createHmac('sha256', await flowKey(store))
    .update(body)
    .digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    const fields = ['state', 'nonce', 'codeVerifier', 'returnTo', 'learnerId'] as const;
    if (!fields.every((f) => typeof value[f] === 'string')) return undefined;
    if (typeof value.at !== 'number' || Date.now() - value.at > flowSeconds * 1000) return undefined;
    return value as unknown as PendingSignIn;
  } catch {
    return undefined;
  }
}

/** A username for a first sign-in, from what the provider says: letters, digits, ".", "_", "-"; 3–32. */
export function usernameFrom(identity: OidcIdentity): string {
  const raw = identity.preferredUsername ?? identity.email?.split('@')[0] ?? identity.name ?? 'learner';
  let name = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 32);
  if (name.length < 3) name = `learner-${name}`.replace(/-$/, '');
  return name;
}

const emailPattern = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,60}$/;

/** The account this subject signed in as before, or a new learner account (username made unique). */
async function accountFor(store: ClassroomStore, identity: OidcIdentity, learnerId: string): Promise<Account> {
  const known = await store.accountByOidc(identity.issuer, identity.subject);
  if (known) return known;
  const base = usernameFrom(identity);
  let email =
    identity.emailVerified && identity.email && emailPattern.test(identity.email) ? identity.email : undefined;
  let username = base;
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.createOidcAccount(identity.issuer, identity.subject, {
        username,
        email,
        passwordHash: noPasswordHash,
        role: 'learner',
        learnerId,
      });
    } catch (error) {
      if (!(error instanceof AccountConflictError) || attempt >= 8) throw error;
      // Somebody has that email already: this account goes without it (no linking by email).
      if (error.field === 'email') email = undefined;
      else username = `${base.slice(0, 26)}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    }
  }
}

function failurePage(res: ServerResponse, locale: Locale, error: OidcSignInError, returnTo: string): void {
  const t = (key: Parameters<typeof oidcText>[1], params?: Record<string, string>) => oidcText(locale, key, params);
  const status = error.reason === 'unavailable' ? 502 : 400;
  const again = `${flowPath}/start?return=${encodeURIComponent(returnTo)}`;
  res.writeHead(status, pageHeaders);
  res.end(
    htmlPage(
      locale,
      t('title'),
      t('site'),
      `<h1>${escapeHtml(t('title'))}</h1>
<p class="status invalid" data-reason="${error.reason}">${escapeHtml(t('intro', { reason: t(`reason.${error.reason}`) }))}</p>
<p><a href="${escapeHtml(again)}">${escapeHtml(t('again'))}</a> · <a href="${escapeHtml(returnTo)}">${escapeHtml(t('back'))}</a></p>`,
    ),
  );
}

function logFailure(error: unknown): void {
  console.error(JSON.stringify({ level: 'warn', msg: 'oidc sign-in refused', error: String(error) }));
}

/** /api/auth/oidc (is it on), /api/auth/oidc/start (to the provider), /api/auth/oidc/callback (back). */
export async function oidcRoutes(
  ctx: OidcContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  who: Identity,
): Promise<boolean> {
  if (path !== flowPath && !path.startsWith(`${flowPath}/`)) return false;
  const method = req.method ?? 'GET';
  const { oidc, identities, store, security } = ctx;
  if (path === flowPath && method === 'GET') {
    sendJson(
      res,
      200,
      oidc ? { enabled: true, name: oidc.settings.name ?? null, start: `${flowPath}/start` } : { enabled: false },
    );
    return true;
  }
  if (!oidc) throw new ApiError(404, 'oidc_disabled', 'This server has no OIDC sign-in configured.');
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const home = `/${preferredLocale(req.headers['accept-language'])}/`;

  if (path === `${flowPath}/start` && method === 'GET') {
    const returnTo = safeReturn(query.get('return'), home);
    const locale = returnLocale(returnTo);
    let started;
    try {
      started = await oidc.start(returnTo, who.account ? '' : who.learnerId);
    } catch (error) {
      logFailure(error);
      failurePage(
        res,
        locale,
        error instanceof OidcSignInError ? error : new OidcSignInError('unavailable', String(error)),
        returnTo,
      );
      return true;
    }
    const value = await sealPending(store, started.pending);
    res.writeHead(302, {
      location: started.url.href,
      'cache-control': 'no-store',
      'set-cookie': [flowCookieLine(req, security, value, flowSeconds)],
    });
    res.end();
    return true;
  }

  if (path === `${flowPath}/callback` && method === 'GET') {
    const pending = await readPending(store, req);
    const returnTo = safeReturn(pending?.returnTo ?? null, home);
    const locale = returnLocale(returnTo);
    // The flow cookie is single-use: cleared whatever happens.
    const clear = flowCookieLine(req, security, '', 0);
    let identity: OidcIdentity;
    try {
      if (!pending)
        throw new OidcSignInError('state', 'no sign-in in flight in this browser (cookie missing or expired)');
      identity = await oidc.finish(new URL(req.url ?? '/', 'http://localhost').search, pending);
    } catch (error) {
      logFailure(error);
      res.setHeader('set-cookie', [clear]);
      failurePage(
        res,
        locale,
        error instanceof OidcSignInError ? error : new OidcSignInError('response', String(error)),
        returnTo,
      );
      return true;
    }
    // The anonymous learner of the browser that started: a new account claims its id (and progress),
    // an existing one merges its progress. A learner id that is an account's already is not claimed.
    const anonymous =
      pending!.learnerId && !(await store.accountByLearnerId(pending!.learnerId)) ? pending!.learnerId : undefined;
    const account = await accountFor(store, identity, anonymous ?? randomBytes(18).toString('base64url'));
    if (anonymous && account.learnerId !== anonymous) await store.mergeProgress(anonymous, account.learnerId);
    if (who.account) await identities.signOut(req);
    const signedIn = await identities.signIn(req, account);
    res.writeHead(303, {
      location: returnTo,
      'cache-control': 'no-store',
      'set-cookie': [clear, ...signedIn.setCookies],
    });
    res.end();
    return true;
  }
  throw new ApiError(404, 'not_found', `No API endpoint at ${path}`);
}
