import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { parse, stringify } from 'yaml';
import type { CommandResult, RunOptions } from '../command-runner.ts';
import type { LabPersona } from '../../../labs/catalog.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

type Kubectl = (args: string[], options?: RunOptions) => Promise<CommandResult>;

async function keyAndRequest(persona: LabPersona): Promise<{ keyPem: string; csrPem: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const subject = [`CN=${persona.name}`, ...(persona.groups ?? []).map((g) => `O=${g}`)].join(', ');
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: alg });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim()}\n-----END PRIVATE KEY-----\n`;
  return { keyPem, csrPem: csr.toString('pem') };
}

/**
 * Personas on kind as on embedded: one client certificate each (CN = name, O = groups), issued
 * by the cluster's own signer through the CSR API, added to the kubeconfig as `<name>@<cluster>`.
 */
export async function addPersonas(kubeconfig: string, personas: LabPersona[], kubectl: Kubectl): Promise<string> {
  if (personas.length === 0) return kubeconfig;
  const config = parse(kubeconfig) as {
    clusters: Array<{ name: string }>;
    users: Array<{ name: string; user: Record<string, string> }>;
    contexts: Array<{ name: string; context: Record<string, string> }>;
  };
  const cluster = config.clusters[0]!.name;
  for (const persona of personas) {
    const { keyPem, csrPem } = await keyAndRequest(persona);
    const csrName = `lab-persona-${persona.name.replace(/[^a-z0-9-]/gi, '-').toLowerCase()}`;
    const csr = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: csrName },
      spec: {
        request: Buffer.from(csrPem).toString('base64'),
        signerName: 'kubernetes.io/kube-apiserver-client',
        expirationSeconds: 86_400,
        usages: ['client auth'],
      },
    };
    const steps: string[][] = [
      ['delete', 'csr', csrName, '--ignore-not-found'],
      ['create', '-f', '-'],
      ['certificate', 'approve', csrName],
      ['wait', '--for=jsonpath={.status.certificate}', `csr/${csrName}`, '--timeout=60s'],
    ];
    for (const args of steps) {
      const r = await kubectl(args, { input: args[1] === '-f' ? stringify(csr) : undefined, timeoutMs: 70_000 });
      if (r.exitCode !== 0) throw new Error(`persona ${persona.name}: kubectl ${args[0]} failed: ${r.stderr.trim()}`);
    }
    const got = await kubectl(['get', 'csr', csrName, '-o', 'jsonpath={.status.certificate}'], { timeoutMs: 30_000 });
    if (got.exitCode !== 0 || !got.stdout.trim())
      throw new Error(`persona ${persona.name}: the CSR ${csrName} was approved but no certificate was issued`);
    config.users.push({
      name: persona.name,
      user: { 'client-certificate-data': got.stdout.trim(), 'client-key-data': Buffer.from(keyPem).toString('base64') },
    });
    config.contexts.push({
      name: `${persona.name}@${cluster}`,
      context: { cluster, user: persona.name, namespace: 'default' },
    });
  }
  return stringify(config);
}
