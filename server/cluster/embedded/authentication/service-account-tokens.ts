import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Store } from '../storage/store.ts';
import { serviceAccountGroups, serviceAccountUser, type UserInfo } from './user.ts';

export const tokenIssuer = 'https://kubernetes.default.svc.cluster.local';

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

interface Claims {
  iss: string;
  sub: string;
  aud: string[];
  exp?: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid: string } };
}

/**
 * ServiceAccount tokens as signed JWTs (HS256 with a per-cluster key; real clusters use
 * RS256/ES256 with a key pair). Tokens stay valid across restarts and die with their
 * ServiceAccount, as bound tokens do.
 */
export class ServiceAccountTokens {
  private readonly key: Buffer;
  private readonly store: Store;

  constructor(key: Buffer, store: Store) {
    this.key = key;
    this.store = store;
  }

  issue(
    namespace: string,
    name: string,
    uid: string,
    expirationSeconds: number | undefined,
    audiences: string[] = [tokenIssuer],
  ): { token: string; expiration?: Date } {
    const now = Math.floor(Date.now() / 1000);
    const claims: Claims = {
      iss: tokenIssuer,
      sub: serviceAccountUser(namespace, name),
      aud: audiences.length ? audiences : [tokenIssuer],
      iat: now,
      nbf: now,
      jti: randomUUID(),
      'kubernetes.io': { namespace, serviceaccount: { name, uid } },
    };
    if (expirationSeconds !== undefined) claims.exp = now + expirationSeconds;
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64url(JSON.stringify(claims));
    const signature = createHmac('sha256', this.key).update(`${header}.${body}`).digest('base64url');
    return {
      token: `${header}.${body}.${signature}`,
      expiration: claims.exp ? new Date(claims.exp * 1000) : undefined,
    };
  }

  /** The ServiceAccount identity of a valid token whose account still exists. */
  authenticate(token: string): UserInfo | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, body, signature] = parts as [string, string, string];
    const expected = createHmac('sha256', this.key).update(`${header}.${body}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Claims;
    } catch {
      return undefined;
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.exp !== undefined && claims.exp < now) return undefined;
    const ref = claims['kubernetes.io'];
    if (!ref?.serviceaccount) return undefined;
    const sa = this.store.get('serviceaccounts', ref.namespace, ref.serviceaccount.name);
    if (!sa || sa.metadata.uid !== ref.serviceaccount.uid) return undefined;
    return {
      username: serviceAccountUser(ref.namespace, ref.serviceaccount.name),
      uid: ref.serviceaccount.uid,
      groups: serviceAccountGroups(ref.namespace),
      extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] },
    };
  }
}
