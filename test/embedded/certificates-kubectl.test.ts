import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const run = promisify(execFile);
const binaries = kubectlBinaries(['1.31', '1.33']);

describe.skipIf(binaries.length === 0).each(binaries)(
  'CertificateSigningRequests with kubectl $version',
  ({ path }) => {
    const k = new KubectlHarness(path);
    beforeAll(() => k.start().then(() => undefined), 60_000);
    afterAll(() => k.stop());

    /** An openssl key and PKCS#10 request, as the Kubernetes docs have learners make them. */
    async function request(name: string, subject: string, rsa = false): Promise<{ key: string; csr: string }> {
      const key = join(k.home, `${name}.key`);
      const csr = join(k.home, `${name}.csr`);
      // RSA as the Kubernetes docs show it; EC keys elsewhere, as they are made in milliseconds.
      if (rsa) await run('openssl', ['genrsa', '-out', key, '2048']);
      else await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
      await run('openssl', ['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
      return { key, csr };
    }

    async function csrManifest(
      name: string,
      csrFile: string,
      usages = ['client auth'],
      seconds = 86400,
    ): Promise<string> {
      const pem = Buffer.from(await readFile(csrFile)).toString('base64');
      return k.file(
        `${name}-csr.yaml`,
        `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: ${name}
spec:
  request: ${pem}
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: ${seconds}
  usages: [${usages.map((u) => `"${u}"`).join(', ')}]
`,
      );
    }

    it('issues a client certificate a new kubeconfig user authenticates with (pkg/controller/certificates/signer)', async () => {
      const { key, csr } = await request('jane', '/CN=jane/O=developers', true);
      const manifest = await csrManifest('jane', csr);
      expect((await k.run(['apply', '-f', manifest])).stdout).toBe(
        'certificatesigningrequest.certificates.k8s.io/jane created\n',
      );
      // pkg/printers/internalversion/printers.go: printCertificateSigningRequest.
      const pending = await k.run(['get', 'csr', 'jane']);
      expect(pending.stdout).toMatch(
        /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\njane\s+\d+s\s+kubernetes\.io\/kube-apiserver-client\s+kubernetes-admin\s+24h\s+Pending\n$/,
      );
      // staging/src/k8s.io/kubectl/pkg/cmd/certificates/certificates.go
      expect((await k.run(['certificate', 'approve', 'jane'])).stdout).toBe(
        'certificatesigningrequest.certificates.k8s.io/jane approved\n',
      );
      await k.cluster.settle();
      const approved = await k.run([
        'get',
        'csr',
        'jane',
        '-o',
        'jsonpath={.status.conditions[0].reason} {.status.conditions[0].message}',
      ]);
      expect(approved.stdout).toBe('KubectlApprove This CSR was approved by kubectl certificate approve.');
      expect((await k.run(['get', 'csr', 'jane'])).stdout).toMatch(/\s+24h\s+Approved,Issued\n$/);
      const encoded = (await k.run(['get', 'csr', 'jane', '-o', 'jsonpath={.status.certificate}'])).stdout;
      const cert = await k.file('jane.crt', Buffer.from(encoded, 'base64').toString('utf8'));
      const text = (
        await run('openssl', ['x509', '-in', cert, '-noout', '-subject', '-issuer', '-ext', 'extendedKeyUsage'])
      ).stdout;
      expect(text).toContain('subject=CN = jane, O = developers');
      expect(text).toContain('issuer=CN = embedded-kubernetes-ca');
      expect(text).toContain('TLS Web Client Authentication');

      const setUser = await k.run([
        'config',
        'set-credentials',
        'jane',
        `--client-key=${key}`,
        `--client-certificate=${cert}`,
        '--embed-certs=true',
      ]);
      expect(setUser.stdout).toBe('User "jane" set.\n');
      await k.run(['config', 'set-context', 'jane', '--cluster=embedded', '--user=jane']);
      const whoami = await k.run(['auth', 'whoami', '--context', 'jane']);
      expect(whoami.stdout).toMatch(
        /^ATTRIBUTE\s+VALUE\nUsername\s+jane\nGroups\s+\[developers system:authenticated\]\n$/,
      );
      const pods = await k.run(['get', 'pods', '--context', 'jane']);
      expect(pods.stderr).toBe(
        'Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"\n',
      );
      await k.run(['create', 'rolebinding', 'jane-view', '--clusterrole=view', '--user=jane']);
      expect((await k.run(['get', 'pods', '--context', 'jane'])).stderr).toBe(
        'No resources found in default namespace.\n',
      );
    });

    it('denies with kubectl certificate deny and never signs', async () => {
      const { csr } = await request('bob', '/CN=bob');
      await k.run(['apply', '-f', await csrManifest('bob', csr)]);
      expect((await k.run(['certificate', 'deny', 'bob'])).stdout).toBe(
        'certificatesigningrequest.certificates.k8s.io/bob denied\n',
      );
      await k.cluster.settle();
      expect((await k.run(['get', 'csr', 'bob'])).stdout).toMatch(/\s+Denied\n$/);
      expect((await k.run(['get', 'csr', 'bob', '-o', 'jsonpath={.status.certificate}'])).stdout).toBe('');
    });

    it('refuses system:masters for the kube-apiserver-client signer (plugin/pkg/admission/certificates/subjectrestriction)', async () => {
      const { csr } = await request('root', '/CN=root/O=system:masters');
      const manifest = await csrManifest('root', csr);
      const result = await k.run(['apply', '-f', manifest]);
      expect(result.stderr).toBe(
        `Error from server (Forbidden): error when creating "${manifest}": certificatesigningrequests.certificates.k8s.io "root" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed\n`,
      );
    });

    it('marks requests with server usages Failed (pkg/controller/certificates/authority policies)', async () => {
      const { csr } = await request('web', '/CN=web');
      await k.run(['apply', '-f', await csrManifest('web', csr, ['server auth', 'client auth'])]);
      await k.run(['certificate', 'approve', 'web']);
      await k.cluster.settle();
      expect((await k.run(['get', 'csr', 'web'])).stdout).toMatch(/\s+Approved,Failed\n$/);
      const failed = await k.run([
        'get',
        'csr',
        'web',
        '-o',
        'jsonpath={.status.conditions[1].reason}: {.status.conditions[1].message}',
      ]);
      expect(failed.stdout).toBe('SignerValidationFailure: invalid usage for client certificate: server auth');
    });

    it('requires the approve verb on the signer to approve (plugin/pkg/admission/certificates/approval)', async () => {
      const { csr } = await request('eve', '/CN=eve');
      await k.run(['apply', '-f', await csrManifest('eve', csr)]);
      await k.run([
        'create',
        'clusterrole',
        'csr-updater',
        '--verb=get,list,update',
        '--resource=certificatesigningrequests,certificatesigningrequests/approval',
      ]);
      await k.run(['create', 'clusterrolebinding', 'csr-updater', '--clusterrole=csr-updater', '--user=mallory']);
      const denied = await k.run(['certificate', 'approve', 'eve', '--as=mallory']);
      expect(denied.stderr).toBe(
        'Error from server (Forbidden): certificatesigningrequests.certificates.k8s.io "eve" is forbidden: user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"\n',
      );
    });
  },
);
