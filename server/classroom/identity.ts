import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../../src/contracts/protocol.ts';
import { cookies } from '../http/json.ts';
import { viaHttps, type WebSecurity } from '../http/security.ts';
import type { Account, AccountStore, Role } from '../lab/store/types.ts';

export const cookieNames = {
  /** The anonymous learner id (HttpOnly). */
  learner: 'lab_learner',
  /** A sign-in's secret token (HttpOnly); the store keeps only its hash. */
  session: 'lab_session',
  /** The CSRF token, readable by the page's script, which sends it back as X-CSRF-Token. */
  csrf: 'lab_csrf',
} as const;

const tokenPattern = /^[A-Za-z0-9_-]{16,64}$/;
const sessionDays = 30;

/** Who a request is: an account's learner, or an anonymous one. */
export interface Identity {
  /** What sessions and progress are kept under. */
  learnerId: string;
  account?: Account;
  /** The token a state-changing request must echo in X-CSRF-Token; undefined when none was issued yet. */
  csrfToken?: string;
  /** Cookies to set on the response (a new anonymous id, a CSRF token). */
  setCookies: string[];
  /** True when this request was given a new anonymous learner id (it sent no usable one). */
  newLearner?: boolean;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const stateChanging = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Cookies, sign-in sessions and CSRF tokens, on top of the account store. */
export class Identities {
  private readonly store: AccountStore;
  private readonly security: WebSecurity;

  constructor(store: AccountStore, security: WebSecurity) {
    this.store = store;
    this.security = security;
  }

  private cookie(req: IncomingMessage, name: string, value: string, options: { httpOnly: boolean; maxAge: number }) {
    const secure = viaHttps(req, this.security) ? '; Secure' : '';
    const httpOnly = options.httpOnly ? '; HttpOnly' : '';
    return `${name}=${value}; Path=/${httpOnly}; SameSite=Strict; Max-Age=${options.maxAge}${secure}`;
  }

  /**
   * The request's identity. `issueCsrf` gives an anonymous browser a CSRF token (the sign-in
   * and sign-up forms need one); lab API calls do not, so their cookies stay as they were.
   */
  async identify(req: IncomingMessage, options: { issueCsrf?: boolean } = {}): Promise<Identity> {
    const jar = cookies(req.headers.cookie);
    const token = jar[cookieNames.session];
    if (token && tokenPattern.test(token)) {
      const session = await this.store.authSession(tokenHash(token));
      if (session) {
        const setCookies =
          jar[cookieNames.csrf] === session.csrfToken
            ? []
            : [this.cookie(req, cookieNames.csrf, session.csrfToken, { httpOnly: false, maxAge: sessionDays * 86400 })];
        return {
          learnerId: session.account.learnerId,
          account: session.account,
          csrfToken: session.csrfToken,
          setCookies,
        };
      }
    }
    const setCookies: string[] = [];
    let newLearner = false;
    let learnerId = jar[cookieNames.learner];
    // An account's learner id is never usable anonymously (a copied cookie from before sign-up).
    if (!learnerId || !tokenPattern.test(learnerId) || (await this.store.accountByLearnerId(learnerId))) {
      learnerId = randomBytes(18).toString('base64url');
      newLearner = true;
      setCookies.push(this.cookie(req, cookieNames.learner, learnerId, { httpOnly: true, maxAge: 365 * 86400 }));
    }
    const sentCsrf = jar[cookieNames.csrf];
    let csrfToken = sentCsrf && tokenPattern.test(sentCsrf) ? sentCsrf : undefined;
    if (!csrfToken && options.issueCsrf) {
      csrfToken = newToken();
      setCookies.push(this.cookie(req, cookieNames.csrf, csrfToken, { httpOnly: false, maxAge: 86400 }));
    }
    return newLearner ? { learnerId, csrfToken, setCookies, newLearner } : { learnerId, csrfToken, setCookies };
  }

  /** 403 unless a state-changing request echoes the identity's CSRF token in X-CSRF-Token. */
  requireCsrf(req: IncomingMessage, who: Identity): void {
    if (!stateChanging.has(req.method ?? 'GET')) return;
    const sent = req.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !who.csrfToken || !sameToken(sent, who.csrfToken))
      throw new ApiError(403, 'csrf', 'Forbidden: missing or wrong CSRF token (X-CSRF-Token).');
  }

  /** Starts a sign-in: its cookies, a fresh anonymous id for after sign-out, and the CSRF token. */
  async signIn(req: IncomingMessage, account: Account): Promise<{ setCookies: string[]; csrfToken: string }> {
    const token = newToken();
    const csrfToken = newToken();
    await this.store.createAuthSession(tokenHash(token), account.id, csrfToken, Date.now() + sessionDays * 86400_000);
    const maxAge = sessionDays * 86400;
    return {
      csrfToken,
      setCookies: [
        this.cookie(req, cookieNames.session, token, { httpOnly: true, maxAge }),
        this.cookie(req, cookieNames.csrf, csrfToken, { httpOnly: false, maxAge }),
        // After sign-out this browser is a new anonymous learner, not the account.
        this.cookie(req, cookieNames.learner, randomBytes(18).toString('base64url'), {
          httpOnly: true,
          maxAge: 365 * 86400,
        }),
      ],
    };
  }

  /** Ends the request's sign-in (if any); the cookies that clear it. */
  async signOut(req: IncomingMessage): Promise<string[]> {
    const token = cookies(req.headers.cookie)[cookieNames.session];
    if (token && tokenPattern.test(token)) await this.store.deleteAuthSession(tokenHash(token));
    return [
      this.cookie(req, cookieNames.session, '', { httpOnly: true, maxAge: 0 }),
      this.cookie(req, cookieNames.csrf, '', { httpOnly: false, maxAge: 0 }),
    ];
  }
}

/** 401 without an account, 403 when its role is not one of `allowed`. */
export function requireRole(who: Identity, ...allowed: Role[]): Account {
  if (!who.account) throw new ApiError(401, 'signed_out', 'Sign in first.');
  if (!allowed.includes(who.account.role))
    throw new ApiError(403, 'forbidden', `Forbidden: this needs the ${allowed.join(' or ')} role.`);
  return who.account;
}
