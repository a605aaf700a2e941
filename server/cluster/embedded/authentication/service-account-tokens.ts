import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomUUID,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { Store } from '../storage/store.ts';
import type { KubeObject } from '../storage/types.ts';
import { serviceAccountGroups, serviceAccountUser, type UserInfo } from './user.ts';

/** --service-account-issuer as kubeadm and kind set it; also the API server's default audience. */
export const tokenIssuer = 'https://kubernetes.default.svc.cluster.local';
/** The issuer legacy Secret-based tokens carry (pkg/serviceaccount/legacy.go). */
export const legacyIssuer = 'kubernetes/serviceaccount';
/** Labels the legacy token tracker and cleaner put on token Secrets. */
export const legacyLastUsedLabel = 'kubernetes.io/legacy-token-last-used';
export const legacyInvalidSinceLabel = 'kubernetes.io/legacy-token-invalid-since';
/** Objects deleted longer ago than jwt.DefaultLeeway no longer back a bound token. */
const leewaySeconds = 60;

const generateRsaKeyPair = promisify(generateKeyPair);

interface ObjectRef {
  name: string;
  uid: string;
}

/** The public and private claims of a bound token (pkg/serviceaccount/claims.go). */
interface BoundClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    node?: ObjectRef;
    pod?: ObjectRef;
    secret?: ObjectRef;
    serviceaccount: ObjectRef;
  };
  nbf: number;
  sub: string;
}

/** The claims of a legacy token stored in a kubernetes.io/service-account-token Secret. */
interface LegacyClaims {
  iss: typeof legacyIssuer;
  'kubernetes.io/serviceaccount/namespace': string;
  'kubernetes.io/serviceaccount/secret.name': string;
  'kubernetes.io/serviceaccount/service-account.name': string;
  'kubernetes.io/serviceaccount/service-account.uid': string;
  sub: string;
}

export interface TokenRequestInput {
  serviceAccount: KubeObject;
  audiences: string[];
  expirationSeconds: number;
  /** The object the token dies with (a Pod, Secret or Node), resolved by the caller. */
  pod?: KubeObject;
  secret?: KubeObject;
  node?: KubeObject;
}

function ref(object: KubeObject): ObjectRef {
  return { name: object.metadata.name ?? '', uid: object.metadata.uid ?? '' };
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * ServiceAccount tokens as kube-apiserver signs them: RS256 JWTs with a per-cluster RSA key
 * (the key is made on first use, so starting a cluster stays fast), key id from the public
 * key's SHA-256, audiences and expiry checked, and bound tokens invalid once their
 * ServiceAccount, Pod, Secret or Node is gone.
 */
export class ServiceAccountTokens {
  private readonly store: Store;
  private readonly onKeyCreated: (pem: string) => void;
  private privateKey?: KeyObject;
  private publicKey?: KeyObject;
  private keyId = '';
  private creating?: Promise<void>;
  /** The audiences the API server accepts (--api-audiences, defaulting to the issuer). */
  readonly apiAudiences = [tokenIssuer];

  constructor(store: Store, keyPem: string | undefined, onKeyCreated: (pem: string) => void = () => {}) {
    this.store = store;
    this.onKeyCreated = onKeyCreated;
    if (keyPem) this.useKey(createPrivateKey(keyPem));
  }

  private useKey(key: KeyObject): void {
    this.privateKey = key;
    this.publicKey = createPublicKey(key);
    const der = this.publicKey.export({ type: 'spki', format: 'der' });
    this.keyId = createHash('sha256').update(der).digest('base64url');
  }

  /** Makes the signing key once; concurrent callers share the work. */
  private async key(): Promise<KeyObject> {
    if (this.privateKey) return this.privateKey;
    this.creating ??= generateRsaKeyPair('rsa', { modulusLength: 2048 }).then(({ privateKey }) => {
      this.useKey(privateKey);
      this.onKeyCreated(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    });
    await this.creating;
    return this.privateKey!;
  }

  private async signJwt(claims: object): Promise<string> {
    const key = await this.key();
    const header = b64url(JSON.stringify({ alg: 'RS256', kid: this.keyId }));
    const body = b64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${body}`), key).toString('base64url');
    return `${header}.${body}.${signature}`;
  }

  /** A bound token, as the TokenRequest API (and the kubelet for projected volumes) gets it. */
  async issue(input: TokenRequestInput): Promise<{ token: string; expiration: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const sa = input.serviceAccount;
    const namespace = sa.metadata.namespace ?? '';
    const claims: BoundClaims = {
      aud: input.audiences.length ? input.audiences : this.apiAudiences,
      exp: now + input.expirationSeconds,
      iat: now,
      iss: tokenIssuer,
      jti: randomUUID(),
      'kubernetes.io': { namespace, serviceaccount: ref(sa) },
      nbf: now,
      sub: serviceAccountUser(namespace, sa.metadata.name ?? ''),
    };
    const k8s = claims['kubernetes.io'];
    if (input.node) k8s.node = ref(input.node);
    if (input.pod) k8s.pod = ref(input.pod);
    else if (input.secret) k8s.secret = ref(input.secret);
    // Keys in the order Go's encoder writes the struct fields.
    claims['kubernetes.io'] = {
      namespace: k8s.namespace,
      ...(k8s.node ? { node: k8s.node } : {}),
      ...(k8s.pod ? { pod: k8s.pod } : {}),
      ...(k8s.secret ? { secret: k8s.secret } : {}),
      serviceaccount: k8s.serviceaccount,
    };
    return { token: await this.signJwt(claims), expiration: new Date(claims.exp * 1000) };
  }

  /** The never-expiring token the tokens controller writes into a service-account-token Secret. */
  issueLegacy(serviceAccount: KubeObject, secret: KubeObject): Promise<string> {
    const namespace = serviceAccount.metadata.namespace ?? '';
    const claims: LegacyClaims = {
      iss: legacyIssuer,
      'kubernetes.io/serviceaccount/namespace': namespace,
      'kubernetes.io/serviceaccount/secret.name': secret.metadata.name ?? '',
      'kubernetes.io/serviceaccount/service-account.name': serviceAccount.metadata.name ?? '',
      'kubernetes.io/serviceaccount/service-account.uid': serviceAccount.metadata.uid ?? '',
      sub: serviceAccountUser(namespace, serviceAccount.metadata.name ?? ''),
    };
    return this.signJwt(claims);
  }

  /** The claims of a token this cluster signed, or undefined for a bad signature or shape. */
  private verified(token: string): Record<string, unknown> | undefined {
    if (!this.publicKey) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, body, signature] = parts as [string, string, string];
    try {
      const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
      if (head.alg !== 'RS256') return undefined;
      const ok = verify(
        'sha256',
        Buffer.from(`${header}.${body}`),
        this.publicKey,
        Buffer.from(signature, 'base64url'),
      );
      if (!ok) return undefined;
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
      return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  /** True when the object still exists with that uid and was not deleted before the leeway. */
  private live(resource: string, namespace: string, wanted: ObjectRef | undefined): KubeObject | undefined {
    if (!wanted) return undefined;
    const found = this.store.get(resource, namespace, wanted.name);
    if (!found || found.metadata.uid !== wanted.uid) return undefined;
    const deleted = found.metadata.deletionTimestamp;
    if (deleted && Date.parse(deleted) < Date.now() - leewaySeconds * 1000) return undefined;
    return found;
  }

  /**
   * The identity of a token valid for one of `audiences` (the API server's by default),
   * or undefined: wrong signature, issuer or audience, expired, or bound to an object
   * that is gone.
   */
  authenticate(token: string, audiences: string[] = this.apiAudiences): UserInfo | undefined {
    const claims = this.verified(token);
    if (!claims) return undefined;
    if (claims.iss === legacyIssuer) return this.authenticateLegacy(token, claims as unknown as LegacyClaims);
    const bound = claims as unknown as BoundClaims;
    if (bound.iss !== tokenIssuer) return undefined;
    const aud = Array.isArray(bound.aud) ? bound.aud : [bound.aud];
    if (!aud.some((a) => audiences.includes(a))) return undefined;
    const now = Math.floor(Date.now() / 1000);
    if (typeof bound.exp !== 'number' || bound.exp + leewaySeconds < now) return undefined;
    if (typeof bound.nbf === 'number' && bound.nbf - leewaySeconds > now) return undefined;
    const k8s = bound['kubernetes.io'];
    if (!k8s?.serviceaccount) return undefined;
    const namespace = k8s.namespace;
    if (!this.live('serviceaccounts', namespace, k8s.serviceaccount)) return undefined;
    if (k8s.secret && !this.live('secrets', namespace, k8s.secret)) return undefined;
    if (k8s.pod && !this.live('pods', namespace, k8s.pod)) return undefined;
    if (k8s.node && !k8s.pod && !this.live('nodes', '', k8s.node)) return undefined;
    const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${bound.jti}`] };
    if (k8s.node) {
      extra['authentication.kubernetes.io/node-name'] = [k8s.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [k8s.node.uid];
    }
    if (k8s.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [k8s.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k8s.pod.uid];
    }
    return {
      username: serviceAccountUser(namespace, k8s.serviceaccount.name),
      uid: k8s.serviceaccount.uid,
      groups: serviceAccountGroups(namespace),
      extra,
    };
  }

  /** The audiences a token this cluster signed names (legacy tokens count for the API server's). */
  audiencesOf(token: string): string[] {
    const claims = this.verified(token);
    if (!claims) return [];
    if (claims.iss === legacyIssuer) return this.apiAudiences;
    return Array.isArray(claims.aud) ? (claims.aud as string[]) : [String(claims.aud)];
  }

  /** Legacy tokens live as long as their Secret holds them (pkg/serviceaccount/legacy.go). */
  private authenticateLegacy(token: string, claims: LegacyClaims): UserInfo | undefined {
    const namespace = claims['kubernetes.io/serviceaccount/namespace'];
    const saName = claims['kubernetes.io/serviceaccount/service-account.name'];
    const secret = this.store.get('secrets', namespace, claims['kubernetes.io/serviceaccount/secret.name']);
    if (!secret || secret.metadata.deletionTimestamp) return undefined;
    const stored = (secret.data as Record<string, string> | undefined)?.token;
    if (!stored || Buffer.from(stored, 'base64').toString('utf8') !== token) return undefined;
    if (secret.metadata.labels?.[legacyInvalidSinceLabel]) return undefined;
    const sa = this.store.get('serviceaccounts', namespace, saName);
    if (!sa || sa.metadata.uid !== claims['kubernetes.io/serviceaccount/service-account.uid']) return undefined;
    // The legacy token tracker records the day a Secret's token was last used.
    const today = new Date().toISOString().slice(0, 10);
    if (secret.metadata.labels?.[legacyLastUsedLabel] !== today) {
      const labels = { ...(secret.metadata.labels ?? {}), [legacyLastUsedLabel]: today };
      this.store.put('secrets', { ...secret, metadata: { ...secret.metadata, labels } });
    }
    return {
      username: serviceAccountUser(namespace, saName),
      uid: sa.metadata.uid,
      groups: serviceAccountGroups(namespace),
    };
  }

  /** /.well-known/openid-configuration (pkg/serviceaccount/openidmetadata.go). */
  openIdConfiguration(serverAddress: string): object {
    return {
      issuer: tokenIssuer,
      jwks_uri: `https://${serverAddress}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    };
  }

  /** /openid/v1/jwks: the public signing key as a JSON Web Key Set. */
  async jwks(): Promise<object> {
    await this.key();
    const jwk = this.publicKey!.export({ format: 'jwk' }) as { n: string; e: string };
    return { keys: [{ use: 'sig', kty: 'RSA', kid: this.keyId, alg: 'RS256', n: jwk.n, e: jwk.e }] };
  }
}
