import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/api-client.ts';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const binaries = kubectlBinaries(['1.31', '1.33']);

interface Jwt {
  header: { alg: string; kid: string };
  claims: Record<string, unknown> & {
    aud: string[];
    exp: number;
    iat: number;
    'kubernetes.io': Record<string, unknown>;
  };
}

function decode(token: string): Jwt {
  const [header, body] = token.split('.') as [string, string];
  const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as never;
  return { header: json(header), claims: json(body) };
}

const podYaml = (name: string, extra = '', sa = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
${sa ? `  serviceAccountName: ${sa}\n` : ''}${extra}  containers:
  - name: app
    image: nginx:1.27
`;

describe.skipIf(binaries.length === 0).each(binaries)(
  'ServiceAccounts and tokens with kubectl $version',
  ({ path }) => {
    const k = new KubectlHarness(path);
    let caFile = '';
    beforeAll(async () => {
      await k.start();
      caFile = join(k.home, 'ca.crt');
      await writeFile(caFile, k.cluster.caPem);
    }, 60_000);
    afterAll(() => k.stop());

    /** A kubeconfig that authenticates with a bearer token (or nothing at all). */
    async function tokenKubeconfig(name: string, token?: string): Promise<string> {
      const file = join(k.home, `${name}.kubeconfig`);
      const user = token ? `    token: ${token}\n` : '    {}\n';
      await writeFile(
        file,
        `apiVersion: v1
kind: Config
clusters:
- name: embedded
  cluster: {server: "${k.cluster.url}", certificate-authority: "${caFile}"}
users:
- name: ${name}
  user:
${user}contexts:
- name: ${name}
  context: {cluster: embedded, user: ${name}}
current-context: ${name}
`,
      );
      return file;
    }

    async function anonymousGet(path: string): Promise<{ status: number; body: string; message?: string }> {
      const client = new ApiClient(k.cluster);
      try {
        const response = await client.send('GET', path);
        const body = response.text;
        const message = response.status >= 400 ? (JSON.parse(body) as { message: string }).message : undefined;
        return { status: response.status, body, message };
      } finally {
        client.close();
      }
    }

    async function token(...args: string[]): Promise<string> {
      const result = await k.run(['create', 'token', ...args]);
      expect(result.stderr).toBe('');
      return result.stdout.trim();
    }

    it('gives pods the default ServiceAccount and a kube-api-access projected volume (plugin/pkg/admission/serviceaccount/admission.go)', async () => {
      expect((await k.run(['apply', '-f', await k.file('p1.yaml', podYaml('p1'))])).stdout).toBe('pod/p1 created\n');
      const pod = JSON.parse((await k.run(['get', 'pod', 'p1', '-o', 'json'])).stdout) as {
        spec: {
          serviceAccountName: string;
          serviceAccount: string;
          volumes: Array<{ name: string; projected: unknown }>;
          containers: Array<{ volumeMounts: unknown[] }>;
        };
      };
      expect(pod.spec.serviceAccountName).toBe('default');
      expect(pod.spec.serviceAccount).toBe('default');
      expect(pod.spec.volumes).toHaveLength(1);
      const volume = pod.spec.volumes[0]!;
      expect(volume.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(volume.projected).toEqual({
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
      });
      expect(pod.spec.containers[0]!.volumeMounts).toEqual([
        { name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
      ]);
    });

    it('honours automountServiceAccountToken on the ServiceAccount, overridden by the pod', async () => {
      const sa = await k.file(
        'quiet-sa.yaml',
        'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: quiet}\nautomountServiceAccountToken: false\n',
      );
      expect((await k.run(['apply', '-f', sa])).stdout).toBe('serviceaccount/quiet created\n');
      await k.run(['apply', '-f', await k.file('p2.yaml', podYaml('p2', '', 'quiet'))]);
      expect((await k.run(['get', 'pod', 'p2', '-o', 'jsonpath={.spec.volumes}'])).stdout).toBe('');
      await k.run([
        'apply',
        '-f',
        await k.file('p3.yaml', podYaml('p3', '  automountServiceAccountToken: true\n', 'quiet')),
      ]);
      expect((await k.run(['get', 'pod', 'p3', '-o', 'jsonpath={.spec.volumes[0].name}'])).stdout).toMatch(
        /^kube-api-access-/,
      );
      await k.run(['apply', '-f', await k.file('p4.yaml', podYaml('p4', '  automountServiceAccountToken: false\n'))]);
      expect((await k.run(['get', 'pod', 'p4', '-o', 'jsonpath={.spec.volumes}'])).stdout).toBe('');
    });

    it('rejects a pod naming a missing ServiceAccount with the upstream text', async () => {
      const file = await k.file('p5.yaml', podYaml('p5', '', 'missing'));
      const result = await k.run(['apply', '-f', file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `Error from server (Forbidden): error when creating "${file}": pods "p5" is forbidden: error looking up service account default/missing: serviceaccount "missing" not found\n`,
      );
    });

    it('publishes kube-root-ca.crt in every namespace and puts it back when deleted (pkg/controller/certificates/rootcacertpublisher/publisher.go)', async () => {
      await k.run(['create', 'namespace', 'team-ca']);
      await k.cluster.settle();
      const listed = await k.run(['get', 'configmaps', '-n', 'team-ca']);
      expect(listed.stdout).toMatch(/^NAME\s+DATA\s+AGE\nkube-root-ca\.crt\s+1\s+\d+s\n$/);
      const ca = await k.run([
        'get',
        'configmap',
        'kube-root-ca.crt',
        '-n',
        'team-ca',
        '-o',
        'jsonpath={.data.ca\\.crt}',
      ]);
      expect(ca.stdout).toBe(k.cluster.caPem);
      expect((await k.run(['delete', 'configmap', 'kube-root-ca.crt', '-n', 'team-ca'])).stdout).toBe(
        'configmap "kube-root-ca.crt" deleted\n',
      );
      await k.cluster.settle();
      expect((await k.run(['get', 'configmap', 'kube-root-ca.crt', '-n', 'team-ca', '-o', 'name'])).stdout).toBe(
        'configmap/kube-root-ca.crt\n',
      );
    });

    it('serves the kubernetes Service in default (pkg/controlplane/controller/kubernetesservice)', async () => {
      const svc = await k.run(['get', 'service', 'kubernetes']);
      expect(svc.stdout).toMatch(
        /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nkubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\d+s\n$/,
      );
    });

    it('signs RS256 tokens whose audience the API server checks (pkg/serviceaccount/claims.go, jwt.go)', async () => {
      const vault = await token('default', '--audience=vault');
      const api = await token('default', '--duration=10m');
      const decoded = decode(api);
      expect(decoded.header.alg).toBe('RS256');
      expect(decoded.header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(decoded.claims.iss).toBe('https://kubernetes.default.svc.cluster.local');
      expect(decoded.claims.aud).toEqual(['https://kubernetes.default.svc.cluster.local']);
      expect(decoded.claims.sub).toBe('system:serviceaccount:default:default');
      expect(decoded.claims.exp - decoded.claims.iat).toBe(600);
      expect(decode(vault).claims.aud).toEqual(['vault']);

      const rejected = await k.run(['get', 'pods'], { kubeconfig: await tokenKubeconfig('vault', vault) });
      expect(rejected.code).toBe(1);
      expect(rejected.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
      const accepted = await tokenKubeconfig('sa', api);
      const whoami = await k.run(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {
        kubeconfig: accepted,
      });
      expect(whoami.stdout).toBe('system:serviceaccount:default:default');
      const pods = await k.run(['get', 'pods'], { kubeconfig: accepted });
      expect(pods.stderr).toBe(
        'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods" in API group "" in the namespace "default"\n',
      );
    });

    it('refuses durations under ten minutes (pkg/apis/authentication/validation/validation.go)', async () => {
      const result = await k.run(['create', 'token', 'default', '--duration=5m']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'error: failed to create token: TokenRequest.authentication.k8s.io "default" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes\n',
      );
    });

    it("invalidates a pod's bound token once the pod is deleted (pkg/serviceaccount/claims.go Validate)", async () => {
      await k.run(['apply', '-f', await k.file('bound.yaml', podYaml('bound'))]);
      const uid = (await k.run(['get', 'pod', 'bound', '-o', 'jsonpath={.metadata.uid}'])).stdout;
      const bound = await token('default', '--bound-object-kind=Pod', '--bound-object-name=bound');
      const claims = decode(bound).claims['kubernetes.io'];
      expect(claims.pod).toEqual({ name: 'bound', uid });
      const kubeconfig = await tokenKubeconfig('bound', bound);
      const whoami = await k.run(['auth', 'whoami'], { kubeconfig });
      expect(whoami.stdout).toMatch(/Extra: authentication\.kubernetes\.io\/pod-name\s+\[bound\]/);
      expect(whoami.stdout).toContain(`[${uid}]`);
      await k.run(['delete', 'pod', 'bound', '--wait=false']);
      const after = await k.run(['auth', 'whoami'], { kubeconfig });
      expect(after.code).toBe(1);
      expect(after.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
      const missing = await k.run([
        'create',
        'token',
        'default',
        '--bound-object-kind=Pod',
        '--bound-object-name=bound',
      ]);
      expect(missing.stderr).toBe('error: failed to create token: pods "bound" not found\n');
    });

    it('fills legacy token Secrets and stops accepting them once the Secret is gone (pkg/serviceaccount/legacy.go)', async () => {
      const secret = await k.file(
        'legacy.yaml',
        `apiVersion: v1
kind: Secret
metadata:
  name: legacy
  annotations: {kubernetes.io/service-account.name: default}
type: kubernetes.io/service-account-token
`,
      );
      await k.run(['apply', '-f', secret]);
      await k.cluster.settle();
      const encoded = (await k.run(['get', 'secret', 'legacy', '-o', 'jsonpath={.data.token}'])).stdout;
      const legacy = Buffer.from(encoded, 'base64').toString('utf8');
      expect(decode(legacy).claims).toMatchObject({
        iss: 'kubernetes/serviceaccount',
        'kubernetes.io/serviceaccount/secret.name': 'legacy',
        'kubernetes.io/serviceaccount/service-account.name': 'default',
        sub: 'system:serviceaccount:default:default',
      });
      const kubeconfig = await tokenKubeconfig('legacy', legacy);
      expect(
        (await k.run(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig })).stdout,
      ).toBe('system:serviceaccount:default:default');
      const label = await k.run([
        'get',
        'secret',
        'legacy',
        '-o',
        'jsonpath={.metadata.labels.kubernetes\\.io/legacy-token-last-used}',
      ]);
      expect(label.stdout).toBe(new Date().toISOString().slice(0, 10));
      await k.run(['delete', 'secret', 'legacy']);
      expect((await k.run(['auth', 'whoami'], { kubeconfig })).stderr).toContain('(Unauthorized)');
    });

    it('serves OIDC discovery to ServiceAccounts, whose JWKS verifies their tokens (pkg/serviceaccount/openidmetadata.go)', async () => {
      const sa = await tokenKubeconfig('discovery', await token('default'));
      const config = JSON.parse(
        (await k.run(['get', '--raw', '/.well-known/openid-configuration'], { kubeconfig: sa })).stdout,
      ) as Record<string, unknown>;
      expect(config).toEqual({
        issuer: 'https://kubernetes.default.svc.cluster.local',
        jwks_uri: `${k.cluster.url}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
      const jwks = JSON.parse((await k.run(['get', '--raw', '/openid/v1/jwks'], { kubeconfig: sa })).stdout) as {
        keys: Array<JsonWebKey & { kid: string; alg: string; use: string }>;
      };
      expect(jwks.keys).toHaveLength(1);
      const jwk = jwks.keys[0]!;
      expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
      const signed = await token('default');
      expect(decode(signed).header.kid).toBe(jwk.kid);
      const [h, b, s] = signed.split('.') as [string, string, string];
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      expect(verify('sha256', Buffer.from(`${h}.${b}`), key, Buffer.from(s, 'base64url'))).toBe(true);
      const denied = await anonymousGet('/openid/v1/jwks');
      expect(denied.status).toBe(403);
      expect(denied.message).toBe('forbidden: User "system:anonymous" cannot get path "/openid/v1/jwks"');
    });

    it('authorizes anonymous requests as system:anonymous through RBAC (plugin/pkg/auth/authorizer/rbac/bootstrappolicy)', async () => {
      // kubectl prompts for a password without credentials, so these go out as plain HTTPS, as curl would.
      const version = await anonymousGet('/version');
      expect(version.status).toBe(200);
      expect(JSON.parse(version.body)).toMatchObject({ gitVersion: 'v1.34.1' });
      expect(await anonymousGet('/healthz')).toMatchObject({ status: 200, body: 'ok' });
      expect(await anonymousGet('/api')).toMatchObject({
        status: 403,
        message: 'forbidden: User "system:anonymous" cannot get path "/api"',
      });
      expect(await anonymousGet('/api/v1/namespaces/default/secrets')).toMatchObject({
        status: 403,
        message:
          'secrets is forbidden: User "system:anonymous" cannot list resource "secrets" in API group "" in the namespace "default"',
      });
      // A token that does not verify is 401, not anonymous.
      const bad = await k.run(['get', 'pods'], { kubeconfig: await tokenKubeconfig('bad', 'not-a-token') });
      expect(bad.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
    });
  },
);
