import { FieldError } from '../../api/status.ts';
import { validateLabelSelector } from '../../storage/selectors.ts';
import { ageColumn, asArray, field, formatLabelSelector } from '../printing.ts';
import { standardVerbs, type ResourceDef } from '../types.ts';
import { validateIpBlock, validateNetworkPolicyPort } from './network-validation.ts';

type Obj = Record<string, unknown>;
const policyTypes = ['Ingress', 'Egress'];

export const networkpolicies: ResourceDef = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  singular: 'networkpolicy',
  listKind: 'NetworkPolicyList',
  namespaced: true,
  shortNames: ['netpol'],
  verbs: standardVerbs,
  strategy: {
    defaults(np) {
      const spec = (np.spec ??= {}) as Obj;
      spec.podSelector ??= {};
      // policyTypes default: Ingress always, Egress when egress rules exist.
      if (!spec.policyTypes) spec.policyTypes = spec.egress ? ['Ingress', 'Egress'] : ['Ingress'];
      for (const rule of [...asArray(spec.ingress), ...asArray(spec.egress)]) {
        for (const port of asArray(rule.ports)) port.protocol ??= 'TCP';
      }
    },
    validate(np) {
      const spec = (np.spec ?? {}) as Obj;
      const errs = validateLabelSelector((spec.podSelector ?? {}) as Obj, 'spec.podSelector');
      asArray<string>(spec.policyTypes).forEach((t, i) => {
        if (!policyTypes.includes(t)) errs.push(FieldError.notSupported(`spec.policyTypes[${i}]`, t, policyTypes));
      });
      const checkPeers = (rules: unknown, key: 'from' | 'to', path: string) =>
        asArray(rules).forEach((rule, i) => {
          asArray(rule[key]).forEach((peer, j) => {
            const at = `${path}[${i}].${key}[${j}]`;
            const set = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((k) => peer[k] !== undefined);
            if (set.length === 0) errs.push(FieldError.required(at, 'must specify a peer'));
            if (peer.ipBlock && set.length > 1)
              errs.push(FieldError.forbidden(at, 'may not specify more than 1 peer type'));
            if (peer.ipBlock) errs.push(...validateIpBlock(peer.ipBlock as Obj, `${at}.ipBlock`));
          });
          asArray(rule.ports).forEach((p, j) =>
            errs.push(...validateNetworkPolicyPort(p, `${path}[${i}].ports[${j}]`)),
          );
        });
      checkPeers(spec.ingress, 'from', 'spec.ingress');
      checkPeers(spec.egress, 'to', 'spec.egress');
      return errs;
    },
    columns: [
      {
        name: 'Pod-Selector',
        type: 'string',
        description: 'Selects the pods to which this NetworkPolicy object applies.',
        priority: 0,
        cell: (o) => {
          const text = formatLabelSelector(field(o, 'spec', 'podSelector'));
          return text === '<none>' ? '<none>' : text;
        },
      },
      ageColumn,
    ],
  },
};

export const ingresses: ResourceDef = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  plural: 'ingresses',
  singular: 'ingress',
  listKind: 'IngressList',
  namespaced: true,
  shortNames: ['ing'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'Ingress', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    columns: [
      {
        name: 'Class',
        type: 'string',
        description: 'The name of the IngressClass resource.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'ingressClassName') ?? '<none>'),
      },
      {
        name: 'Hosts',
        type: 'string',
        description: 'Hosts that incoming requests are matched against.',
        priority: 0,
        cell: (o) =>
          asArray(field(o, 'spec', 'rules'))
            .map((r) => r.host ?? '*')
            .join(',') || '*',
      },
      {
        name: 'Address',
        type: 'string',
        description: 'Address is a list containing ingress points for the load-balancer.',
        priority: 0,
        cell: () => '',
      },
      {
        name: 'Ports',
        type: 'string',
        description: 'Ports of TLS configurations that open.',
        priority: 0,
        cell: (o) => (asArray(field(o, 'spec', 'tls')).length ? '80, 443' : '80'),
      },
      ageColumn,
    ],
  },
};

export const networkingResources = [networkpolicies, ingresses];
