import { FieldError } from '../../api/status.ts';
import { parseCsr } from '../../pki/csr.ts';
import type { KubeObject } from '../../storage/types.ts';
import { ageColumn, asArray, humanDuration } from '../printing.ts';
import { standardVerbs, type ResourceDef } from '../types.ts';

type Obj = Record<string, unknown>;

export const kubeApiserverClientSigner = 'kubernetes.io/kube-apiserver-client';

/** KeyUsage values certificates.k8s.io/v1 accepts (pkg/apis/certificates/types.go). */
export const keyUsages = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
];

const signerNameRe =
  /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\.)+[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\/[A-Za-z0-9._~%!$&'()*+,;=:@-]+$/;

function conditions(csr: KubeObject): Obj[] {
  return asArray((csr.status as Obj | undefined)?.conditions);
}

/** kubectl's CONDITION column: Pending, or the condition types, then Issued once signed. */
export function csrCondition(csr: KubeObject): string {
  const types = conditions(csr)
    .filter((c) => c.status === undefined || c.status === 'True')
    .map((c) => String(c.type));
  if ((csr.status as Obj | undefined)?.certificate) types.push('Issued');
  return types.length ? types.join(',') : 'Pending';
}

function validateSpec(csr: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = (csr.spec ?? {}) as Obj;
  if (typeof spec.request !== 'string' || spec.request === '') errs.push(FieldError.required('spec.request', ''));
  else {
    try {
      parseCsr(Buffer.from(spec.request, 'base64').toString('utf8'));
    } catch (error) {
      errs.push(FieldError.invalid('spec.request', '<request>', (error as Error).message));
    }
  }
  const signer = spec.signerName;
  if (typeof signer !== 'string' || signer === '') errs.push(FieldError.required('spec.signerName', ''));
  else if (!signerNameRe.test(signer)) {
    errs.push(
      FieldError.invalid(
        'spec.signerName',
        signer,
        'must be a fully qualified domain and path of the form "example.com/signer-name"',
      ),
    );
  }
  const usages = asArray<string>(spec.usages);
  if (usages.length === 0) errs.push(FieldError.required('spec.usages', ''));
  usages.forEach((u, i) => {
    if (!keyUsages.includes(u)) errs.push(FieldError.notSupported(`spec.usages[${i}]`, u, keyUsages));
  });
  const seconds = spec.expirationSeconds;
  if (seconds !== undefined && (typeof seconds !== 'number' || seconds < 600)) {
    errs.push(
      FieldError.invalid(
        'spec.expirationSeconds',
        seconds,
        'may not specify a duration less than 600 seconds (10 minutes)',
      ),
    );
  }
  return errs;
}

/** Approved and Denied exclude each other, and neither may be removed once set. */
function validateConditions(csr: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const list = conditions(csr);
  const statuses = ['True', 'False', 'Unknown'];
  list.forEach((c, i) => {
    if (!c.type) errs.push(FieldError.required(`status.conditions[${i}].type`, ''));
    if (c.status !== undefined && !statuses.includes(String(c.status)))
      errs.push(FieldError.notSupported(`status.conditions[${i}].status`, c.status, statuses));
  });
  const has = (type: string, from: Obj[]) => from.some((c) => c.type === type && (c.status ?? 'True') === 'True');
  const denied = list.findIndex((c) => c.type === 'Denied');
  if (has('Approved', list) && has('Denied', list)) {
    errs.push(
      FieldError.invalid(
        `status.conditions[${denied}].type`,
        'Denied',
        'Approved and Denied conditions are mutually exclusive',
      ),
    );
  }
  for (const type of ['Approved', 'Denied', 'Failed']) {
    if (old && has(type, conditions(old)) && !has(type, list))
      errs.push(FieldError.forbidden('status.conditions', `updates may not remove a condition of type "${type}"`));
  }
  return errs;
}

export const certificatesigningrequests: ResourceDef = {
  group: 'certificates.k8s.io',
  version: 'v1',
  kind: 'CertificateSigningRequest',
  plural: 'certificatesigningrequests',
  singular: 'certificatesigningrequest',
  listKind: 'CertificateSigningRequestList',
  namespaced: false,
  shortNames: ['csr'],
  verbs: standardVerbs,
  subresources: {
    status: { kind: 'CertificateSigningRequest', verbs: ['get', 'patch', 'update'] },
    approval: { kind: 'CertificateSigningRequest', verbs: ['get', 'patch', 'update'] },
  },
  strategy: {
    hasStatus: true,
    generationFields: [],
    prepareForCreate(csr, user) {
      // The requestor's identity is recorded by the server, never taken from the client.
      const spec = (csr.spec ??= {}) as Obj;
      spec.username = user.username;
      if (user.uid) spec.uid = user.uid;
      else delete spec.uid;
      spec.groups = [...user.groups];
      if (user.extra && Object.keys(user.extra).length) spec.extra = structuredClone(user.extra);
      else delete spec.extra;
    },
    validate: (csr, { old }) => [...(old ? [] : validateSpec(csr)), ...validateConditions(csr, old)],
    onUpdate(csr, old) {
      const strip = (o: KubeObject) => JSON.stringify(o.spec ?? {});
      return strip(csr) === strip(old) ? [] : [FieldError.forbidden('spec', 'field is immutable')];
    },
    columns: [
      ageColumn,
      {
        name: 'SignerName',
        type: 'string',
        description: 'signerName indicates the requested signer, and is a qualified name.',
        priority: 0,
        cell: (o) => String((o.spec as Obj | undefined)?.signerName ?? ''),
      },
      {
        name: 'Requestor',
        type: 'string',
        description: 'Name of requestor',
        priority: 0,
        cell: (o) => String((o.spec as Obj | undefined)?.username ?? ''),
      },
      {
        name: 'RequestedDuration',
        type: 'string',
        description: 'Requested duration of the issued certificate',
        priority: 0,
        cell: (o) => {
          const seconds = (o.spec as Obj | undefined)?.expirationSeconds;
          return typeof seconds === 'number' ? humanDuration(seconds * 1000) : '<none>';
        },
      },
      {
        name: 'Condition',
        type: 'string',
        description: 'State of the signing request',
        priority: 0,
        cell: (o) => csrCondition(o),
      },
    ],
  },
};
