import { randomUUID } from 'node:crypto';
import { formatQuantity } from '../../api/quantity.ts';
import { rfc3339 } from '../../api/time.ts';
import { resourceList } from '../../api/resource-lists.ts';
import { FieldError } from '../../api/status.ts';
import type { KubeObject } from '../../storage/types.ts';
import { isDns1123Label, messages } from '../meta-validation.ts';
import { ageColumn, asArray, createdAtColumn, field } from '../printing.ts';
import { standardVerbs, type ResourceDef } from '../types.ts';

type Obj = Record<string, unknown>;

const limitTypes = ['Container', 'Pod', 'PersistentVolumeClaim'];

/** "pods: 1/10, requests.cpu: 500m/1" for the REQUEST or LIMIT column of kubectl get quota. */
function quotaColumn(o: KubeObject, limits: boolean): string {
  const status = (o.status ?? {}) as Obj;
  const hard = resourceList(status.hard ?? field(o, 'spec', 'hard'));
  const used = resourceList(status.used);
  return [...hard.keys()]
    .filter((k) => k.startsWith('limits.') === limits)
    .sort()
    .map((k) => `${k}: ${used.has(k) ? formatQuantity(used.get(k)!) : '0'}/${formatQuantity(hard.get(k)!)}`)
    .join(', ');
}

export const resourcequotas: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  singular: 'resourcequota',
  listKind: 'ResourceQuotaList',
  namespaced: true,
  shortNames: ['quota'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'ResourceQuota', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    validate(quota) {
      const errs: FieldError[] = [];
      for (const [k, v] of Object.entries((field(quota, 'spec', 'hard') as Obj | undefined) ?? {})) {
        const q = resourceList({ [k]: v }).get(k);
        if (!q) errs.push(FieldError.invalid(`spec.hard[${k}]`, v, 'must be a valid quantity'));
        else if (q.nanos < 0n)
          errs.push(FieldError.invalid(`spec.hard[${k}]`, v, 'must be greater than or equal to 0'));
      }
      return errs;
    },
    columns: [
      ageColumn,
      {
        name: 'Request',
        type: 'string',
        description: 'Request represents a minimum amount of cpu/memory that a container may consume.',
        priority: 0,
        cell: (o) => quotaColumn(o, false),
      },
      {
        name: 'Limit',
        type: 'string',
        description:
          'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
        priority: 0,
        cell: (o) => quotaColumn(o, true),
      },
    ],
  },
};

export const limitranges: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  plural: 'limitranges',
  singular: 'limitrange',
  listKind: 'LimitRangeList',
  namespaced: true,
  shortNames: ['limits'],
  verbs: standardVerbs,
  strategy: {
    generationFields: [],
    /** SetDefaults_LimitRangeItem: default falls back to max, defaultRequest to default, then min. */
    defaults(lr) {
      for (const item of asArray(field(lr, 'spec', 'limits'))) {
        if (item.type !== 'Container') continue;
        const max = (item.max ?? {}) as Obj;
        const min = (item.min ?? {}) as Obj;
        const def = (item.default ?? {}) as Obj;
        for (const [k, v] of Object.entries(max)) def[k] ??= v;
        if (Object.keys(def).length) item.default = def;
        const request = (item.defaultRequest ?? {}) as Obj;
        for (const [k, v] of Object.entries(def)) request[k] ??= v;
        for (const [k, v] of Object.entries(min)) request[k] ??= v;
        if (Object.keys(request).length) item.defaultRequest = request;
      }
    },
    validate(lr) {
      const errs: FieldError[] = [];
      asArray(field(lr, 'spec', 'limits')).forEach((item, i) => {
        if (!limitTypes.includes(String(item.type)))
          errs.push(FieldError.notSupported(`spec.limits[${i}].type`, item.type ?? '', limitTypes));
        const min = resourceList(item.min);
        const max = resourceList(item.max);
        for (const [k, lo] of min) {
          const hi = max.get(k);
          if (hi && lo.nanos > hi.nanos)
            errs.push(
              FieldError.invalid(
                `spec.limits[${i}].min[${k}]`,
                formatQuantity(lo),
                `min value ${formatQuantity(lo)} is greater than max value ${formatQuantity(hi)}`,
              ),
            );
        }
      });
      return errs;
    },
    columns: [createdAtColumn],
  },
};

export const runtimeclasses: ResourceDef = {
  group: 'node.k8s.io',
  version: 'v1',
  kind: 'RuntimeClass',
  plural: 'runtimeclasses',
  singular: 'runtimeclass',
  listKind: 'RuntimeClassList',
  namespaced: false,
  verbs: standardVerbs,
  strategy: {
    generationFields: [],
    validate(rc) {
      const handler = rc.handler;
      if (typeof handler !== 'string' || handler === '') return [FieldError.required('handler', '')];
      if (!isDns1123Label(handler)) return [FieldError.invalid('handler', handler, messages.dns1123Label)];
      return [];
    },
    onUpdate(rc, old) {
      return rc.handler === old.handler ? [] : [FieldError.invalid('handler', rc.handler, 'field is immutable')];
    },
    columns: [
      {
        name: 'Handler',
        type: 'string',
        description: 'The name of the CRI handler to use for this RuntimeClass.',
        priority: 0,
        cell: (o) => String(o.handler ?? ''),
      },
      ageColumn,
    ],
  },
};

function intOrPercent(value: unknown): string {
  return value === undefined || value === null ? 'N/A' : String(value);
}

export const poddisruptionbudgets: ResourceDef = {
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  listKind: 'PodDisruptionBudgetList',
  namespaced: true,
  shortNames: ['pdb'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'PodDisruptionBudget', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    validate(pdb) {
      const spec = (pdb.spec ?? {}) as Obj;
      if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
        return [FieldError.invalid('spec', pdb.spec, 'minAvailable and maxUnavailable cannot be both set')];
      return [];
    },
    columns: [
      {
        name: 'Min Available',
        type: 'string',
        description: 'The minimum number of pods that must be available.',
        priority: 0,
        cell: (o) => intOrPercent(field(o, 'spec', 'minAvailable')),
      },
      {
        name: 'Max Unavailable',
        type: 'string',
        description: 'The maximum number of pods that may be unavailable.',
        priority: 0,
        cell: (o) => intOrPercent(field(o, 'spec', 'maxUnavailable')),
      },
      {
        name: 'Allowed Disruptions',
        type: 'integer',
        description: 'Calculated number of pods that may be disrupted at this time.',
        priority: 0,
        cell: (o) => Number(field(o, 'status', 'disruptionsAllowed') ?? 0),
      },
      ageColumn,
    ],
  },
};

export const leases: ResourceDef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  singular: 'lease',
  listKind: 'LeaseList',
  namespaced: true,
  verbs: standardVerbs,
  strategy: {
    generationFields: [],
    columns: [
      {
        name: 'Holder',
        type: 'string',
        description: 'The holder of the lease.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'holderIdentity') ?? ''),
      },
      ageColumn,
    ],
  },
};

const accessModeShort: Record<string, string> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};
const accessModes = Object.keys(accessModeShort);

function modes(o: unknown): string {
  return asArray<string>(field(o, 'spec', 'accessModes'))
    .map((m) => accessModeShort[m] ?? m)
    .join(',');
}

function validateAccessModes(spec: Obj, path: string): FieldError[] {
  const list = asArray<string>(spec.accessModes);
  if (!list.length) return [FieldError.required(`${path}.accessModes`, '')];
  const errs: FieldError[] = [];
  list.forEach((m) => {
    if (!accessModes.includes(m)) errs.push(FieldError.notSupported(`${path}.accessModes`, m, accessModes));
  });
  return errs;
}

export const persistentvolumes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  singular: 'persistentvolume',
  listKind: 'PersistentVolumeList',
  namespaced: false,
  shortNames: ['pv'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'PersistentVolume', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    generationFields: [],
    defaults(pv) {
      const spec = (pv.spec ??= {}) as Obj;
      spec.persistentVolumeReclaimPolicy ??= 'Retain';
      spec.volumeMode ??= 'Filesystem';
      pv.status ??= { phase: 'Pending' };
    },
    validate(pv) {
      const spec = (pv.spec ?? {}) as Obj;
      const errs = validateAccessModes(spec, 'spec');
      if (!resourceList(spec.capacity).has('storage')) errs.push(FieldError.required('spec.capacity', ''));
      return errs;
    },
    columns: [
      {
        name: 'Capacity',
        type: 'string',
        description: "capacity is the description of the persistent volume's resources and capacity.",
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'capacity', 'storage') ?? ''),
      },
      {
        name: 'Access Modes',
        type: 'string',
        description: 'accessModes contains all ways the volume can be mounted.',
        priority: 0,
        cell: modes,
      },
      {
        name: 'Reclaim Policy',
        type: 'string',
        description:
          'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'persistentVolumeReclaimPolicy') ?? ''),
      },
      {
        name: 'Status',
        type: 'string',
        description: 'phase indicates if a volume is available, bound to a claim, or released by a claim.',
        priority: 0,
        cell: (o) => String(field(o, 'status', 'phase') ?? ''),
      },
      {
        name: 'Claim',
        type: 'string',
        description: 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
        priority: 0,
        cell: (o) => {
          const ref = field(o, 'spec', 'claimRef') as Obj | undefined;
          return ref ? `${String(ref.namespace)}/${String(ref.name)}` : '';
        },
      },
      {
        name: 'StorageClass',
        type: 'string',
        description: 'storageClassName is the name of StorageClass to which this persistent volume belongs.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'storageClassName') ?? ''),
      },
      {
        name: 'VolumeAttributesClass',
        type: 'string',
        description: 'Name of VolumeAttributesClass to which this persistent volume belongs.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'volumeAttributesClassName') ?? '<unset>'),
      },
      {
        name: 'Reason',
        type: 'string',
        description: 'reason is a brief CamelCase string that describes any failure.',
        priority: 0,
        cell: (o) => String(field(o, 'status', 'reason') ?? ''),
      },
      ageColumn,
      {
        name: 'VolumeMode',
        type: 'string',
        description:
          'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
        priority: 1,
        cell: (o) => String(field(o, 'spec', 'volumeMode') ?? 'Filesystem'),
      },
    ],
  },
};

export const persistentvolumeclaims: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  listKind: 'PersistentVolumeClaimList',
  namespaced: true,
  shortNames: ['pvc'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'PersistentVolumeClaim', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    generationFields: [],
    defaults(pvc) {
      const spec = (pvc.spec ??= {}) as Obj;
      spec.volumeMode ??= 'Filesystem';
      pvc.status ??= { phase: 'Pending' };
    },
    validate(pvc) {
      const spec = (pvc.spec ?? {}) as Obj;
      const errs = validateAccessModes(spec, 'spec');
      if (!resourceList(field(spec, 'resources', 'requests')).has('storage'))
        errs.push(FieldError.required('spec.resources[storage]', ''));
      return errs;
    },
    onUpdate(pvc, old) {
      const strip = (o: KubeObject) => {
        const spec = { ...((o.spec ?? {}) as Obj) };
        delete spec.resources;
        delete spec.volumeName;
        delete spec.volumeAttributesClassName;
        return JSON.stringify(spec);
      };
      if (strip(pvc) === strip(old)) return [];
      return [
        FieldError.forbidden(
          'spec',
          'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
        ),
      ];
    },
    columns: [
      {
        name: 'Status',
        type: 'string',
        description: 'phase represents the current phase of PersistentVolumeClaim.',
        priority: 0,
        cell: (o) => String(field(o, 'status', 'phase') ?? 'Pending'),
      },
      {
        name: 'Volume',
        type: 'string',
        description: 'volumeName is the binding reference to the PersistentVolume backing this claim.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'volumeName') ?? ''),
      },
      {
        name: 'Capacity',
        type: 'string',
        description: 'capacity represents the actual resources of the underlying volume.',
        priority: 0,
        cell: (o) => String(field(o, 'status', 'capacity', 'storage') ?? ''),
      },
      {
        name: 'Access Modes',
        type: 'string',
        description: 'accessModes contains the desired access modes the volume should have.',
        priority: 0,
        cell: (o) =>
          asArray<string>(field(o, 'status', 'accessModes'))
            .map((m) => accessModeShort[m] ?? m)
            .join(','),
      },
      {
        name: 'StorageClass',
        type: 'string',
        description: 'storageClassName is the name of the StorageClass required by the claim.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'storageClassName') ?? ''),
      },
      {
        name: 'VolumeAttributesClass',
        type: 'string',
        description: 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'volumeAttributesClassName') ?? '<unset>'),
      },
      ageColumn,
      {
        name: 'VolumeMode',
        type: 'string',
        description: 'volumeMode defines what type of volume is required by the claim.',
        priority: 1,
        cell: (o) => String(field(o, 'spec', 'volumeMode') ?? 'Filesystem'),
      },
    ],
  },
};

export const storageclasses: ResourceDef = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  plural: 'storageclasses',
  singular: 'storageclass',
  listKind: 'StorageClassList',
  namespaced: false,
  shortNames: ['sc'],
  verbs: standardVerbs,
  strategy: {
    generationFields: [],
    defaults(sc) {
      sc.reclaimPolicy ??= 'Delete';
      sc.volumeBindingMode ??= 'Immediate';
    },
    validate(sc) {
      if (typeof sc.provisioner !== 'string' || !sc.provisioner) return [FieldError.required('provisioner', '')];
      return [];
    },
    columns: [
      {
        name: 'Provisioner',
        type: 'string',
        description: 'Indicates the type of the provisioner.',
        priority: 0,
        cell: (o) => String(o.provisioner ?? ''),
      },
      {
        name: 'ReclaimPolicy',
        type: 'string',
        description: 'Indicates the type of the reclaim policy.',
        priority: 0,
        cell: (o) => String(o.reclaimPolicy ?? 'Delete'),
      },
      {
        name: 'VolumeBindingMode',
        type: 'string',
        description: 'Indicates the VolumeBindingMode of the StorageClass.',
        priority: 0,
        cell: (o) => String(o.volumeBindingMode ?? 'Immediate'),
      },
      {
        name: 'AllowVolumeExpansion',
        type: 'string',
        description: 'Indicates whether the StorageClass allow volume expand.',
        priority: 0,
        cell: (o) => String(o.allowVolumeExpansion ?? false),
      },
      ageColumn,
    ],
  },
};

const defaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
/** kind's local-path provisioner, which the simulation stands in for. */
const localPathProvisioner = 'rancher.io/local-path';

/** The StorageClass kind installs: the default class for claims that name none. */
export function standardStorageClass(): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: 'standard',
      uid: randomUUID(),
      creationTimestamp: rfc3339(),
      annotations: { [defaultClassAnnotation]: 'true' },
    },
    provisioner: localPathProvisioner,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** The name of the default StorageClass, if any (DefaultStorageClass admission). */
export function defaultStorageClass(classes: KubeObject[]): string | undefined {
  return classes.find((c) => c.metadata.annotations?.[defaultClassAnnotation] === 'true')?.metadata.name;
}

export const policyResources: ResourceDef[] = [
  resourcequotas,
  limitranges,
  persistentvolumes,
  persistentvolumeclaims,
  runtimeclasses,
  poddisruptionbudgets,
  leases,
  storageclasses,
];
