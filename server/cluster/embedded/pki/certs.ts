// @peculiar/x509 uses tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const tenYears = 10 * 365 * 24 * 3600 * 1000;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface ClusterCa extends PemPair {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

function serial(): string {
  // Positive 64-bit serial numbers, as Go's crypto/x509 prefers.
  const bytes = randomBytes(8);
  bytes[0]! &= 0x7f;
  return bytes.toString('hex');
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A new self-signed CA for one cluster (ECDSA P-256: generated in milliseconds). */
export async function createCa(commonName = 'embedded-kubernetes-ca'): Promise<ClusterCa> {
  const keys = await keyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + tenYears),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert,
    key: keys.privateKey,
    certPem: cert.toString('pem') + '\n',
    keyPem: await privateKeyPem(keys.privateKey),
  };
}

/** Loads a CA written earlier by createCa (a restarted cluster keeps its kubeconfigs valid). */
export async function loadCa(pair: PemPair): Promise<ClusterCa> {
  const cert = new x509.X509Certificate(pair.certPem);
  const key = (await webcrypto.subtle.importKey('pkcs8', pemBody(pair.keyPem), algorithm, true, [
    'sign',
  ])) as unknown as CryptoKey;
  return { cert, key, ...pair };
}

async function issue(ca: ClusterCa, subject: x509.JsonName, extensions: x509.Extension[]): Promise<PemPair> {
  const keys = await keyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subjectName.toJSON(),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + tenYears),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
      ...extensions,
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys.privateKey) };
}

/** The API server's serving certificate for loopback names. */
export function issueServingCert(ca: ClusterCa, hosts: string[] = ['localhost', '127.0.0.1']): Promise<PemPair> {
  const names = hosts.map((h) =>
    /^[\d.]+$|:/.test(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h },
  );
  return issue(
    ca,
    [{ CN: ['kube-apiserver'] }],
    [
      new x509.SubjectAlternativeNameExtension(names),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  );
}

/** A client certificate: CN is the user name, each O a group (as kube-apiserver reads them). */
export function issueClientCert(ca: ClusterCa, user: string, groups: string[] = []): Promise<PemPair> {
  const subject: x509.JsonName = [...groups.map((g) => ({ O: [g] })), { CN: [user] }];
  return issue(ca, subject, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]);
}
