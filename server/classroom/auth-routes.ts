import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../src/contracts/protocol.ts';
import { readJson, sendJson } from '../http/json.ts';
import { RateLimiter } from '../http/security.ts';
import { AccountConflictError, roles, type Account, type ClassroomStore, type Role } from '../lab/store/types.ts';
import { requireRole, type Identities, type Identity } from './identity.ts';
import { hashPassword, noPasswordHash, passwordProblem, unknownAccountHash, verifyPassword } from './passwords.ts';

/** Wrong-password limits: per login and per client address, in one window; every value is a server option. */
export interface SignInLimits {
  windowMs: number;
  failuresPerLogin: number;
  failuresPerAddress: number;
  /** Sign-ups and sign-in attempts per address (scrypt costs CPU): burst, then per minute. */
  attemptsPerAddress: { burst: number; perMinute: number };
}

export const defaultSignInLimits: SignInLimits = {
  windowMs: 15 * 60_000,
  failuresPerLogin: 5,
  failuresPerAddress: 30,
  attemptsPerAddress: { burst: 20, perMinute: 20 },
};

const usernamePattern = /^[a-z0-9][a-z0-9._-]{2,31}$/i;
const emailPattern = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,60}$/;

/** What the API tells about an account: never its learner id (the anonymous cookie it was). */
export function publicAccount(a: Account): { id: string; username: string; email: string | null; role: Role } {
  return { id: a.id, username: a.username, email: a.email, role: a.role };
}

function text(body: Record<string, unknown>, field: string, required = true): string | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === '') {
    if (required) throw new ApiError(400, 'bad_request', `${field} is required.`);
    return undefined;
  }
  if (typeof value !== 'string' || value.length > 256)
    throw new ApiError(400, 'bad_request', `${field} must be a string.`);
  return value;
}

export interface AuthContext {
  store: ClassroomStore;
  identities: Identities;
  address: string;
  limits: SignInLimits;
  attempts: RateLimiter;
}

export function authAttemptsLimiter(limits: SignInLimits): RateLimiter {
  return new RateLimiter(limits.attemptsPerAddress.burst, limits.attemptsPerAddress.perMinute);
}

async function checkPassword(ctx: AuthContext, login: string, password: string): Promise<Account> {
  const { store, limits, address } = ctx;
  const loginKey = `login:${login.trim().toLowerCase()}`;
  const addressKey = `address:${address}`;
  if (
    (await store.signInFailures(loginKey, limits.windowMs)) >= limits.failuresPerLogin ||
    (await store.signInFailures(addressKey, limits.windowMs)) >= limits.failuresPerAddress
  )
    throw new ApiError(
      429,
      'rate_limited',
      `Too many wrong passwords; try again in ${Math.ceil(limits.windowMs / 60_000)} minutes.`,
    );
  const found = await store.accountByLogin(login);
  const ok = await verifyPassword(password, found?.passwordHash ?? unknownAccountHash);
  if (!found || !ok) {
    await store.noteSignInFailure(loginKey, limits.windowMs);
    await store.noteSignInFailure(addressKey, limits.windowMs);
    throw new ApiError(401, 'invalid_credentials', 'Wrong username, email or password.');
  }
  await store.clearSignInFailures(loginKey);
  const { passwordHash: _hash, ...account } = found;
  return account;
}

/**
 * /api/auth/*: me, sign-up, sign-in, sign-out, delete the account; /api/admin/accounts/role.
 * Returns false when the path is not one of them.
 */
export async function authRoutes(
  ctx: AuthContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  who: Identity,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  const { store, identities } = ctx;
  const headers = (): Record<string, string[]> => (who.setCookies.length ? { 'set-cookie': who.setCookies } : {});
  if (path === '/api/auth/me' && method === 'GET') {
    sendJson(
      res,
      200,
      {
        account: who.account ? publicAccount(who.account) : null,
        csrfToken: who.csrfToken,
        // How this account signs in: the account page asks for a password only when it has one.
        signInWith: who.account
          ? (await store.accountByLogin(who.account.username))?.passwordHash === noPasswordHash
            ? 'oidc'
            : 'password'
          : null,
      },
      headers(),
    );
    return true;
  }
  if (!path.startsWith('/api/auth/') && !path.startsWith('/api/admin/')) return false;
  identities.requireCsrf(req, who);
  const throttle = () => {
    const wait = ctx.attempts.take(ctx.address);
    if (wait !== undefined) throw new ApiError(429, 'rate_limited', `Too many attempts; try again in ${wait} s.`);
  };

  if (path === '/api/auth/signup' && method === 'POST') {
    const body = await readJson(req);
    const username = text(body, 'username')!;
    const email = text(body, 'email', false);
    const password = text(body, 'password')!;
    if (!usernamePattern.test(username))
      throw new ApiError(400, 'bad_username', 'A username has 3–32 letters, digits, dots, dashes or underscores.');
    if (email !== undefined && !emailPattern.test(email))
      throw new ApiError(400, 'bad_email', 'That does not look like an email address.');
    const problem = passwordProblem(password);
    if (problem) throw new ApiError(400, 'weak_password', problem);
    throttle();
    if (who.account) await identities.signOut(req);
    let account: Account;
    try {
      // The anonymous learner id becomes the account's: its progress and open labs are claimed as they are.
      account = await store.createAccount({
        username,
        email,
        passwordHash: await hashPassword(password),
        role: 'learner',
        learnerId: who.account ? randomBytes(18).toString('base64url') : who.learnerId,
      });
    } catch (error) {
      if (error instanceof AccountConflictError)
        throw new ApiError(409, `${error.field}_taken`, `That ${error.field} is already taken.`);
      throw error;
    }
    const signedIn = await identities.signIn(req, account);
    sendJson(
      res,
      201,
      { account: publicAccount(account), csrfToken: signedIn.csrfToken },
      {
        'set-cookie': signedIn.setCookies,
      },
    );
    return true;
  }

  if (path === '/api/auth/signin' && method === 'POST') {
    const body = await readJson(req);
    const login = text(body, 'login')!;
    const password = text(body, 'password')!;
    throttle();
    const account = await checkPassword(ctx, login, password);
    if (who.account) await identities.signOut(req);
    // What this browser did anonymously joins the account's progress.
    else await store.mergeProgress(who.learnerId, account.learnerId);
    const signedIn = await identities.signIn(req, account);
    sendJson(
      res,
      200,
      { account: publicAccount(account), csrfToken: signedIn.csrfToken },
      {
        'set-cookie': signedIn.setCookies,
      },
    );
    return true;
  }

  if (path === '/api/auth/signout' && method === 'POST') {
    sendJson(res, 200, { account: null }, { 'set-cookie': await identities.signOut(req) });
    return true;
  }

  if (path === '/api/auth/account' && method === 'DELETE') {
    const account = requireRole(who, ...roles);
    const body = await readJson(req);
    throttle();
    if ((await store.accountByLogin(account.username))?.passwordHash === noPasswordHash) {
      // An account of a school's OIDC provider has no password: its username, typed, confirms.
      if (text(body, 'confirm', false)?.trim().toLowerCase() !== account.username)
        throw new ApiError(400, 'confirm_username', 'Type your username as "confirm" to delete this account.');
    } else await checkPassword(ctx, account.username, text(body, 'password')!);
    const cleared = await identities.signOut(req);
    await store.deleteAccount(account.id);
    sendJson(res, 200, { deleted: true }, { 'set-cookie': cleared });
    return true;
  }

  if (path === '/api/admin/accounts/role' && method === 'POST') {
    requireRole(who, 'admin');
    const body = await readJson(req);
    const role = text(body, 'role')! as Role;
    if (!roles.includes(role)) throw new ApiError(400, 'bad_role', `role must be one of ${roles.join(', ')}.`);
    const target = await store.accountByLogin(text(body, 'login')!);
    if (!target) throw new ApiError(404, 'unknown_account', 'No such account.');
    await store.setRole(target.id, role);
    sendJson(res, 200, { account: publicAccount({ ...target, role }) }, headers());
    return true;
  }
  throw new ApiError(404, 'not_found', `No API endpoint at ${path}`);
}
