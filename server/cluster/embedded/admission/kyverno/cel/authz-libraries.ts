import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Environment } from '@marcbachmann/cel-js';
import { toCel } from '../../../cel/values.ts';

/**
 * The response builders of Kyverno's authorization modes (evaluation.mode Envoy and HTTP),
 * where a validation returns a response instead of a bool, and jwt.Decode for HS256 tokens.
 * These policies run in Kyverno's authz server, outside admission; the CLI tests use them.
 */
export class AuthzResponse {
  readonly allowed: boolean;
  readonly code: bigint;
  readonly body: string;
  readonly headers: Record<string, string>;
  constructor(allowed: boolean, code: bigint, body = '', headers: Record<string, string> = {}) {
    this.allowed = allowed;
    this.code = code;
    this.body = body;
    this.headers = headers;
  }
  with(change: Partial<Pick<AuthzResponse, 'body' | 'headers'>>): AuthzResponse {
    return new AuthzResponse(this.allowed, this.code, change.body ?? this.body, change.headers ?? this.headers);
  }
}

class EnvoyNamespace {}
class HttpNamespace {}
class JwtNamespace {}

function decodeSegment(text: string): unknown {
  return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
}

/** Verifies an HS256 JWT with the shared secret and its exp/nbf claims; claims are read either way. */
function decodeJwt(token: string, secret: string): unknown {
  const parts = token.split('.');
  if (parts.length !== 3) return toCel({ Valid: false, Claims: {} });
  let claims: Record<string, unknown> = {};
  let valid: boolean;
  try {
    const header = decodeSegment(parts[0]!) as { alg?: string };
    claims = decodeSegment(parts[1]!) as Record<string, unknown>;
    const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
    const actual = Buffer.from(parts[2]!, 'base64url');
    const now = Date.now() / 1000;
    valid =
      header.alg === 'HS256' &&
      actual.length === expected.length &&
      timingSafeEqual(actual, expected) &&
      (typeof claims.exp !== 'number' || claims.exp > now) &&
      (typeof claims.nbf !== 'number' || claims.nbf <= now);
  } catch {
    valid = false;
  }
  return toCel({ Valid: valid, Claims: claims });
}

export function registerAuthzLibraries(env: Environment): void {
  env.registerType('AuthzResponse', AuthzResponse);
  env.registerType('EnvoyNamespace', EnvoyNamespace);
  env.registerType('HttpNamespace', HttpNamespace);
  env.registerType('JwtNamespace', JwtNamespace);
  env.registerConstant('envoy', 'EnvoyNamespace', new EnvoyNamespace());
  env.registerConstant('http', 'HttpNamespace', new HttpNamespace());
  env.registerConstant('jwt', 'JwtNamespace', new JwtNamespace());
  env.registerFunction('EnvoyNamespace.Allowed(): AuthzResponse', () => new AuthzResponse(true, 200n));
  env.registerFunction(
    'EnvoyNamespace.Denied(int): AuthzResponse',
    (_: unknown, code: bigint) => new AuthzResponse(false, code),
  );
  env.registerFunction('HttpNamespace.Allowed(): AuthzResponse', () => new AuthzResponse(true, 200n));
  env.registerFunction(
    'HttpNamespace.Denied(string): AuthzResponse',
    (_: unknown, reason: string) => new AuthzResponse(false, 403n, reason),
  );
  env.registerFunction('AuthzResponse.WithBody(string): AuthzResponse', (r: AuthzResponse, body: string) =>
    r.with({ body }),
  );
  env.registerFunction(
    'AuthzResponse.WithHeader(string, string): AuthzResponse',
    (r: AuthzResponse, k: string, v: string) => r.with({ headers: { ...r.headers, [k]: v } }),
  );
  env.registerFunction('AuthzResponse.Response(): dyn', (r: AuthzResponse) => r);
  env.registerFunction('JwtNamespace.Decode(string, string): dyn', (_: unknown, token: string, secret: string) =>
    decodeJwt(token, secret),
  );
}
