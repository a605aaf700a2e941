import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { ClusterCa } from './certs.ts';

/** What a CertificateSigningRequest's PKCS#10 request asks for. */
export interface ParsedCsr {
  request: x509.Pkcs10CertificateRequest;
  commonName: string;
  organizations: string[];
}

/** Parses spec.request (PEM, already base64-decoded); throws with kube's wording when it is not a CSR. */
export function parseCsr(pem: string): ParsedCsr {
  const block = /-----BEGIN ([A-Z ]+)-----/.exec(pem);
  if (!block) throw new Error('PEM block type must be CERTIFICATE REQUEST');
  if (block[1] !== 'CERTIFICATE REQUEST') throw new Error('PEM block type must be CERTIFICATE REQUEST');
  const request = new x509.Pkcs10CertificateRequest(pem);
  const name = request.subjectName.toJSON();
  const values = (key: string) => name.flatMap((rdn) => (rdn[key] as string[] | undefined) ?? []);
  return { request, commonName: values('CN')[0] ?? '', organizations: values('O') };
}

const usageFlags: Record<string, number> = {
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
};
const extendedUsages: Record<string, string> = {
  'client auth': x509.ExtendedKeyUsage.clientAuth,
  'server auth': x509.ExtendedKeyUsage.serverAuth,
};

/** Signs a request with the cluster CA for the given key usages, as the csrsigning controller does. */
export async function signCsr(ca: ClusterCa, csr: ParsedCsr, usages: string[], notAfter: Date): Promise<string> {
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const keyUsage = usages.reduce((flags, u) => flags | (usageFlags[u] ?? 0), 0);
  const extended = usages.map((u) => extendedUsages[u]).filter((u): u is string => Boolean(u));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    subject: csr.request.subjectName.toJSON(),
    issuer: ca.cert.subjectName.toJSON(),
    notBefore: new Date(Date.now() - 5 * 60_000),
    notAfter,
    signingKey: ca.key,
    publicKey: csr.request,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      ...(keyUsage ? [new x509.KeyUsagesExtension(keyUsage, true)] : []),
      ...(extended.length ? [new x509.ExtendedKeyUsageExtension(extended)] : []),
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ],
  });
  return cert.toString('pem') + '\n';
}
