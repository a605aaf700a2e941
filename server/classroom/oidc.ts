import * as client from 'openid-client';

/** A school's OpenID Connect provider, as the operator configures it (README: "Sign-in with OIDC"). */
export interface OidcSettings {
  /** The provider's Issuer Identifier (https://, or http:// on loopback for a local provider). */
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE only, no client authentication). */
  clientSecret?: string;
  /** This server's /api/auth/oidc/callback as the provider knows it. */
  redirectUrl: string;
  /** What the sign-in button calls the provider ("IES Example"); optional. */
  name?: string;
}

/** One sign-in in flight: kept in the browser's short-lived HttpOnly cookie, checked at the callback. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where to go once signed in (a path on this site). */
  returnTo: string;
  /**
   * The browser's anonymous learner id when the sign-in started: its progress joins the account.
   * Taken then because the provider's redirect back is cross-site, and SameSite=Strict cookies
   * do not come with it. Empty when the browser was signed in already.
   */
  learnerId: string;
}

/** What the provider vouched for. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  preferredUsername?: string;
  email?: string;
  emailVerified: boolean;
  name?: string;
}

/** Why a sign-in failed, for the learner; the details go to the log. */
export class OidcSignInError extends Error {
  readonly reason: 'state' | 'provider' | 'response' | 'unavailable';
  constructor(reason: OidcSignInError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

function isLoopbackUrl(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '[::1]' || url.hostname.startsWith('127.');
}

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const { message, code, cause } = e as { message?: unknown; code?: unknown; cause?: unknown };
    parts.push(
      [typeof code === 'string' ? code : '', typeof message === 'string' ? message : String(e)].join(' ').trim(),
    );
    e = cause instanceof Error ? cause : undefined;
  }
  return parts.join(': ');
}

const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/**
 * The authorization code flow with PKCE, state and nonce, through openid-client: the provider's
 * metadata comes from its discovery document, whose issuer must be the configured one.
 */
export class OidcClient {
  readonly settings: OidcSettings;
  private config?: Promise<client.Configuration>;

  constructor(settings: OidcSettings) {
    this.settings = settings;
  }

  /** Discovery once; a failure is retried on the next sign-in. */
  private configuration(): Promise<client.Configuration> {
    if (!this.config) {
      const issuer = new URL(this.settings.issuer);
      const { clientId, clientSecret } = this.settings;
      this.config = client
        .discovery(
          issuer,
          clientId,
          clientSecret,
          clientSecret === undefined ? client.None() : client.ClientSecretPost(clientSecret),
          {
            // http:// only for a provider on this machine (checked when the settings are read, too).
            execute: issuer.protocol === 'http:' && isLoopbackUrl(issuer) ? [client.allowInsecureRequests] : [],
            timeout: 10,
          },
        )
        .catch((error: unknown) => {
          this.config = undefined;
          throw new OidcSignInError('unavailable', `OIDC discovery at ${issuer.href} failed: ${String(error)}`);
        });
    }
    return this.config;
  }

  /** The provider's authorization URL for a new sign-in, and what the callback must see again. */
  async start(returnTo: string, learnerId: string): Promise<{ url: URL; pending: PendingSignIn }> {
    const config = await this.configuration();
    const pending: PendingSignIn = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      returnTo,
      learnerId,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUrl,
      scope: 'openid email profile',
      response_type: 'code',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, pending };
  }

  /**
   * Checks the provider's answer at the callback (state, issuer, code with PKCE, ID token and
   * nonce) and returns who signed in. `search` is the callback request's query string.
   */
  async finish(search: string, pending: PendingSignIn): Promise<OidcIdentity> {
    const config = await this.configuration();
    const current = new URL(this.settings.redirectUrl);
    current.search = search;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        pkceCodeVerifier: pending.codeVerifier,
        idTokenExpected: true,
      });
    } catch (error) {
      if (error instanceof client.AuthorizationResponseError)
        throw new OidcSignInError('provider', `the provider answered ${error.error}: ${error.error_description ?? ''}`);
      // openid-client says "invalid response encountered"; what was wrong is in its cause.
      const message = describe(error);
      if (/"state"/.test(message)) throw new OidcSignInError('state', message);
      throw new OidcSignInError('response', message);
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcSignInError('response', 'no ID token');
    let info: Record<string, unknown> = { ...claims };
    // Profile and email claims usually come from the UserInfo endpoint; the subject must match.
    if (config.serverMetadata().userinfo_endpoint) {
      try {
        info = { ...info, ...(await client.fetchUserInfo(config, tokens.access_token, claims.sub)) };
      } catch (error) {
        console.error(JSON.stringify({ level: 'warn', msg: 'oidc userinfo failed', error: String(error) }));
      }
    }
    return {
      issuer: claims.iss,
      subject: claims.sub,
      preferredUsername: text(info.preferred_username),
      email: text(info.email),
      emailVerified: info.email_verified === true,
      name: text(info.name),
    };
  }
}
