import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { addPersonas } from '../../server/lab/backends/kind/personas.ts';
import { kind, RecordedRunner } from './kind-recorded.ts';

describe('personas on kind (client certificates through the CSR API, recorded kubectl)', () => {
  it('asks the kube-apiserver-client signer for each persona and adds a context per persona', async () => {
    const name = 'lab-a1b2c3-0a1b2c3d';
    const issued = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
    const runner = new RecordedRunner().on('kubectl get csr', { stdout: issued });
    const kubectl = (args: string[], options = {}) => runner.run('kubectl', args, options);
    const out = await addPersonas(kind.kubeconfig(name), [{ name: 'alice', groups: ['developers'] }], kubectl);

    expect(runner.lines()).toEqual([
      'kubectl delete csr lab-persona-alice --ignore-not-found',
      'kubectl create -f -',
      'kubectl certificate approve lab-persona-alice',
      'kubectl wait --for=jsonpath={.status.certificate} csr/lab-persona-alice --timeout=60s',
      'kubectl get csr lab-persona-alice -o jsonpath={.status.certificate}',
    ]);
    const csr = parse(runner.calls[1]!.input!) as { spec: { request: string; signerName: string; usages: string[] } };
    expect(csr.spec.signerName).toBe('kubernetes.io/kube-apiserver-client');
    expect(csr.spec.usages).toEqual(['client auth']);
    const request = new x509.Pkcs10CertificateRequest(Buffer.from(csr.spec.request, 'base64').toString('utf8'));
    expect(request.subject).toBe('CN=alice, O=developers');
    expect(await request.verify()).toBe(true);

    const config = parse(out) as {
      users: Array<{ name: string; user: Record<string, string> }>;
      contexts: Array<{ name: string; context: Record<string, string> }>;
      'current-context': string;
    };
    const alice = config.users.find((u) => u.name === 'alice')!;
    expect(alice.user['client-certificate-data']).toBe(issued);
    expect(Buffer.from(alice.user['client-key-data']!, 'base64').toString()).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(config.contexts.map((c) => c.name)).toEqual([`kind-${name}`, `alice@kind-${name}`]);
    expect(config['current-context']).toBe(`kind-${name}`);
  });

  it('fails clearly when no certificate is issued', async () => {
    const runner = new RecordedRunner().on('kubectl get csr', { stdout: '' });
    const kubectl = (args: string[], options = {}) => runner.run('kubectl', args, options);
    await expect(addPersonas(kind.kubeconfig('lab-a1b2c3-0a1b2c3d'), [{ name: 'bob' }], kubectl)).rejects.toThrow(
      'persona bob: the CSR lab-persona-bob was approved but no certificate was issued',
    );
  });
});
