import type { ClusterCa } from '../pki/certs.ts';
import { parseCsr, signCsr } from '../pki/csr.ts';
import { rfc3339 } from '../api/time.ts';
import { kubeApiserverClientSigner } from '../registry/resources/certificates.ts';
import type { KubeObject } from '../storage/types.ts';
import type { Controller, ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;

/** --cluster-signing-duration's default: one year. */
const maxCertificateSeconds = 365 * 24 * 3600;

/** Why the kube-apiserver-client signer refuses a request's usages, if it does. */
function clientUsageError(usages: string[]): string | undefined {
  let clientAuth = false;
  for (const usage of usages) {
    if (usage === 'client auth') clientAuth = true;
    else if (usage !== 'digital signature' && usage !== 'key encipherment')
      return `invalid usage for client certificate: ${usage}`;
  }
  return clientAuth ? undefined : 'missing required usage for client certificate: client auth';
}

/**
 * The csrsigning controller for kubernetes.io/kube-apiserver-client: approved requests get a
 * certificate from the cluster CA, valid for spec.expirationSeconds (at most a year); requests
 * it cannot sign get a Failed condition. Other signers are left alone, as in kind.
 */
export class CsrSigningController implements Controller {
  readonly name = 'csrsigning-controller';
  readonly watches = ['certificatesigningrequests.certificates.k8s.io'];
  private readonly ctx: ControllerContext;
  private readonly ca: ClusterCa;
  constructor(ctx: ControllerContext, ca: ClusterCa) {
    this.ctx = ctx;
    this.ca = ca;
  }

  async sync(): Promise<void> {
    const def = this.ctx.def('certificates.k8s.io', 'certificatesigningrequests');
    for (const csr of this.ctx.store.list('certificatesigningrequests.certificates.k8s.io')) {
      const spec = (csr.spec ?? {}) as Obj;
      const status = (csr.status ?? {}) as Obj;
      const conditions = (status.conditions as Obj[] | undefined) ?? [];
      const has = (type: string) => conditions.some((c) => c.type === type && (c.status ?? 'True') === 'True');
      if (spec.signerName !== kubeApiserverClientSigner || status.certificate) continue;
      if (!has('Approved') || has('Denied') || has('Failed')) continue;
      const failure = clientUsageError((spec.usages as string[] | undefined) ?? []);
      if (failure) {
        this.fail(def, csr, failure);
        continue;
      }
      const seconds = Math.min(Number(spec.expirationSeconds ?? maxCertificateSeconds), maxCertificateSeconds);
      const parsed = parseCsr(Buffer.from(String(spec.request ?? ''), 'base64').toString('utf8'));
      const pem = await signCsr(
        this.ca,
        parsed,
        (spec.usages as string[]) ?? [],
        new Date(Date.now() + seconds * 1000),
      );
      const current = this.ctx.store.get('certificatesigningrequests.certificates.k8s.io', '', csr.metadata.name ?? '');
      if (!current || current.metadata.uid !== csr.metadata.uid) continue;
      this.ctx.registry.writeStatus(def, current, {
        ...(current.status as Obj),
        certificate: Buffer.from(pem).toString('base64'),
      });
    }
  }

  private fail(def: ReturnType<ControllerContext['def']>, csr: KubeObject, message: string): void {
    const now = rfc3339();
    const status = (csr.status ?? {}) as Obj;
    const conditions = [
      ...((status.conditions as Obj[] | undefined) ?? []),
      {
        type: 'Failed',
        status: 'True',
        reason: 'SignerValidationFailure',
        message,
        lastUpdateTime: now,
        lastTransitionTime: now,
      },
    ];
    this.ctx.registry.writeStatus(def, csr, { ...status, conditions });
  }
}
