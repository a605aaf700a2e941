import type { Authorizer } from '../../authorization/authorizer.ts';
import { errors } from '../../api/status.ts';
import { parseCsr } from '../../pki/csr.ts';
import { kubeApiserverClientSigner } from '../../registry/resources/certificates.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';

type Obj = Record<string, unknown>;
const group = 'certificates.k8s.io';
const gr = { group, resource: 'certificatesigningrequests' };

/**
 * CertificateApproval and CertificateSubjectRestriction (plugin/pkg/admission/certificates):
 * approving or denying needs the "approve" verb on the signer (signers resource, named by
 * signerName or "<domain>/*"), and the kube-apiserver-client signer may not be asked for
 * a system:masters certificate.
 */
export class CertificateAdmission implements AdmissionPlugin {
  readonly name = 'CertificateApproval';
  private readonly authorizer: Authorizer;

  constructor(authorizer: Authorizer) {
    this.authorizer = authorizer;
  }

  validate(a: AdmissionAttributes): void {
    if (a.resource.group !== group || a.resource.plural !== 'certificatesigningrequests') return;
    const spec = (a.object?.spec ?? {}) as Obj;
    const signerName = String(spec.signerName ?? '');
    if (a.operation === 'CREATE' && signerName === kubeApiserverClientSigner) {
      let organizations: string[];
      try {
        organizations = parseCsr(Buffer.from(String(spec.request ?? ''), 'base64').toString('utf8')).organizations;
      } catch {
        return; // validation has already refused a request that does not parse
      }
      if (organizations.includes('system:masters')) {
        throw errors.forbidden(
          gr,
          a.name,
          `use of ${kubeApiserverClientSigner} signer with system:masters group is not allowed`,
        );
      }
    }
    if (a.operation === 'UPDATE' && a.subresource === 'approval' && !this.mayApprove(a, signerName)) {
      throw errors.forbidden(gr, a.name, `user not permitted to approve requests with signerName "${signerName}"`);
    }
  }

  private mayApprove(a: AdmissionAttributes, signerName: string): boolean {
    const slash = signerName.indexOf('/');
    const names = [signerName, ...(slash > 0 ? [`${signerName.slice(0, slash)}/*`] : [])];
    return names.some(
      (name) =>
        this.authorizer.authorize({
          user: a.user,
          verb: 'approve',
          isResourceRequest: true,
          path: '',
          apiGroup: group,
          apiVersion: '*',
          resource: 'signers',
          subresource: '',
          namespace: '',
          name,
        }).decision === 'allow',
    );
  }
}
