import { FieldError } from '../../api/status.ts';
import type { KubeObject } from '../../storage/types.ts';
import { ageColumn, asArray } from '../printing.ts';
import { standardVerbs, type ResourceDef } from '../types.ts';

const addressTypes = ['IPv4', 'IPv6', 'FQDN'];

/** "80,443 + 2 more..." as kubectl's listWithMoreString, "<unset>" when empty. */
function listWithMore(list: string[], max = 3): string {
  if (list.length === 0) return '<unset>';
  const shown = list.slice(0, max).join(',');
  return list.length > max ? `${shown} + ${list.length - max} more...` : shown;
}

function slicePorts(o: KubeObject): string {
  return listWithMore(
    asArray(o.ports).map((p) =>
      typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*',
    ),
  );
}

function sliceEndpoints(o: KubeObject): string {
  return listWithMore(asArray(o.endpoints).flatMap((e) => asArray<string>(e.addresses)));
}

/** discovery.k8s.io/v1 EndpointSlice: the endpoints of a Service, kept by the EndpointSlice controller. */
export const endpointslices: ResourceDef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  singular: 'endpointslice',
  listKind: 'EndpointSliceList',
  namespaced: true,
  verbs: standardVerbs,
  strategy: {
    generationFields: ['endpoints', 'ports'],
    validate(slice) {
      const errs: FieldError[] = [];
      if (!addressTypes.includes(String(slice.addressType)))
        errs.push(FieldError.notSupported('addressType', slice.addressType, addressTypes));
      asArray(slice.endpoints).forEach((e, i) => {
        const addresses = asArray<string>(e.addresses);
        if (addresses.length < 1 || addresses.length > 100)
          errs.push(FieldError.required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
      });
      return errs;
    },
    columns: [
      {
        name: 'AddressType',
        type: 'string',
        description: 'The type of addresses contained in this EndpointSlice.',
        priority: 0,
        cell: (o) => String(o.addressType ?? ''),
      },
      { name: 'Ports', type: 'string', description: 'The ports of this EndpointSlice.', priority: 0, cell: slicePorts },
      {
        name: 'Endpoints',
        type: 'string',
        description: 'The endpoints of this EndpointSlice.',
        priority: 0,
        cell: sliceEndpoints,
      },
      ageColumn,
    ],
  },
};

export const discoveryResources = [endpointslices];
