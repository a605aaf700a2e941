import { FieldError } from '../../api/status.ts';
import type { KubeObject } from '../../storage/types.ts';
import { ageColumn, asArray, field, formatLabels, num, since } from '../printing.ts';
import { standardVerbs, type ResourceDef } from '../types.ts';
import { validateConfigMapContents, validateImmutableConfig, validateSecretContents } from './config-validation.ts';
import { defaultPodSpec, validatePodSpec } from './pod-spec.ts';
import { allocateServiceAddresses } from './service-allocation.ts';

type Obj = Record<string, unknown>;

/** kubectl's pod STATUS column (printPod in pkg/printers/internalversion). */
export function podStatusReason(pod: KubeObject): string {
  let reason = String(field(pod, 'status', 'reason') ?? field(pod, 'status', 'phase') ?? 'Pending');
  const initStatuses = asArray(field(pod, 'status', 'initContainerStatuses'));
  let initializing = false;
  initStatuses.forEach((s, i) => {
    if (initializing) return;
    const terminated = field(s, 'state', 'terminated') as Obj | undefined;
    const waiting = field(s, 'state', 'waiting') as Obj | undefined;
    if (terminated && terminated.exitCode === 0) return;
    if (terminated) reason = terminated.reason ? `Init:${terminated.reason}` : `Init:ExitCode:${terminated.exitCode}`;
    else if (waiting?.reason && waiting.reason !== 'PodInitializing') reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${initStatuses.length}`;
    initializing = true;
  });
  if (!initializing) {
    let hasRunning = false;
    for (const s of [...asArray(field(pod, 'status', 'containerStatuses'))].reverse()) {
      const waiting = field(s, 'state', 'waiting') as Obj | undefined;
      const terminated = field(s, 'state', 'terminated') as Obj | undefined;
      if (waiting?.reason) reason = String(waiting.reason);
      else if (terminated?.reason) reason = String(terminated.reason);
      else if (terminated)
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (s.ready && field(s, 'state', 'running')) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

const podColumns: ResourceDef['strategy']['columns'] = [
  {
    name: 'Ready',
    type: 'string',
    description: 'The aggregate readiness state of this pod for accepting traffic.',
    priority: 0,
    cell: (o) => {
      const statuses = asArray(field(o, 'status', 'containerStatuses'));
      const total = asArray(field(o, 'spec', 'containers')).length;
      return `${statuses.filter((s) => s.ready === true).length}/${total}`;
    },
  },
  {
    name: 'Status',
    type: 'string',
    description: 'The aggregate status of the containers in this pod.',
    priority: 0,
    cell: (o) => podStatusReason(o),
  },
  {
    name: 'Restarts',
    type: 'string',
    description:
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    priority: 0,
    cell: (o) => String(asArray(field(o, 'status', 'containerStatuses')).reduce((n, s) => n + num(s.restartCount), 0)),
  },
  ageColumn,
  {
    name: 'IP',
    type: 'string',
    description: 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
    priority: 1,
    cell: (o) => (field(o, 'status', 'podIP') as string | undefined) || '<none>',
  },
  {
    name: 'Node',
    type: 'string',
    description: 'NodeName is a request to schedule this pod onto a specific node.',
    priority: 1,
    cell: (o) => (field(o, 'spec', 'nodeName') as string | undefined) || '<none>',
  },
  {
    name: 'Nominated Node',
    type: 'string',
    description: 'nominatedNodeName is set only when this pod preempts other pods on the node.',
    priority: 1,
    cell: (o) => (field(o, 'status', 'nominatedNodeName') as string | undefined) || '<none>',
  },
  {
    name: 'Readiness Gates',
    type: 'string',
    description: 'If specified, all readiness gates will be evaluated for pod readiness.',
    priority: 1,
    cell: (o) => {
      const gates = asArray(field(o, 'spec', 'readinessGates'));
      if (gates.length === 0) return '<none>';
      const conditions = asArray(field(o, 'status', 'conditions'));
      const met = gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True'));
      return `${met.length}/${gates.length}`;
    },
  },
];

const podImmutableMessage =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Obj)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function frozenPodSpec(spec: unknown): string {
  const copy = structuredClone((spec ?? {}) as Obj);
  for (const key of ['containers', 'initContainers'] as const) {
    for (const c of asArray(copy[key])) delete c.image;
  }
  // Changed only through pods/ephemeralcontainers (prepareForUpdate keeps them otherwise).
  delete copy.ephemeralContainers;
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  return stableJson(copy);
}

export const pods: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  listKind: 'PodList',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  verbs: standardVerbs,
  subresources: {
    status: { kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    log: { kind: 'Pod', verbs: ['get'] },
    exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
    attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    binding: { kind: 'Binding', verbs: ['create'] },
    eviction: { kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
    ephemeralcontainers: { kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  },
  strategy: {
    hasStatus: true,
    generationFields: [],
    defaults(pod) {
      const spec = (pod.spec ??= {}) as Obj;
      defaultPodSpec(spec);
      spec.serviceAccountName ??= 'default';
      spec.serviceAccount ??= spec.serviceAccountName;
      spec.enableServiceLinks ??= true;
      // spec.priority and spec.preemptionPolicy come from Priority admission (admission/priority).
      spec.tolerations ??= [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ];
    },
    validate: (pod, { old }) => {
      const errs = validatePodSpec(pod.spec as Obj | undefined, 'spec');
      if (!old && asArray((pod.spec as Obj | undefined)?.ephemeralContainers).length)
        errs.push(FieldError.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
      return errs;
    },
    prepareForUpdate(pod, old, subresource) {
      const ephemeral = (p: KubeObject) => ((p.spec ?? {}) as Obj).ephemeralContainers;
      // The subresource changes only the ephemeral containers; main writes cannot change them.
      const next = subresource === 'ephemeralcontainers' ? structuredClone(old) : pod;
      const list = subresource === 'ephemeralcontainers' ? ephemeral(pod) : ephemeral(old);
      const spec = (next.spec ??= {}) as Obj;
      if (list === undefined) delete spec.ephemeralContainers;
      else spec.ephemeralContainers = structuredClone(list);
      return next;
    },
    onUpdate(pod, old) {
      if (frozenPodSpec(pod.spec) !== frozenPodSpec(old.spec))
        return [FieldError.forbidden('spec', podImmutableMessage)];
      return [];
    },
    columns: podColumns,
  },
};

export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  listKind: 'NamespaceList',
  namespaced: false,
  shortNames: ['ns'],
  nameRule: 'dns1123Label',
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: {
    status: { kind: 'Namespace', verbs: ['get', 'patch', 'update'] },
    finalize: { kind: 'Namespace', verbs: ['update'] },
  },
  strategy: {
    hasStatus: true,
    defaults(ns) {
      const labels = (ns.metadata.labels ??= {});
      labels['kubernetes.io/metadata.name'] = ns.metadata.name ?? '';
      ns.spec ??= { finalizers: ['kubernetes'] };
      ns.status ??= { phase: 'Active' };
    },
    columns: [
      {
        name: 'Status',
        type: 'string',
        description: 'The status of the namespace',
        priority: 0,
        cell: (o) => String(field(o, 'status', 'phase') ?? 'Active'),
      },
      ageColumn,
    ],
  },
};

function servicePorts(o: KubeObject): string {
  const ports = asArray(field(o, 'spec', 'ports'));
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) => {
      const node = p.nodePort ? `:${p.nodePort}` : '';
      return `${p.port}${node}/${p.protocol ?? 'TCP'}`;
    })
    .join(',');
}

export const services: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  singular: 'service',
  listKind: 'ServiceList',
  namespaced: true,
  shortNames: ['svc'],
  nameRule: 'dns1035Label',
  categories: ['all'],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: {
    status: { kind: 'Service', verbs: ['get', 'patch', 'update'] },
    proxy: { kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  },
  strategy: {
    hasStatus: true,
    defaults(svc) {
      const spec = (svc.spec ??= {}) as Obj;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.ipFamilies ??= ['IPv4'];
      spec.internalTrafficPolicy ??= 'Cluster';
      for (const p of asArray(spec.ports)) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      svc.status ??= { loadBalancer: {} };
    },
    allocate: allocateServiceAddresses,
    validate(svc) {
      const errs: FieldError[] = [];
      const spec = (svc.spec ?? {}) as Obj;
      const types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
      if (!types.includes(String(spec.type))) errs.push(FieldError.notSupported('spec.type', spec.type, types));
      const ports = asArray(spec.ports);
      if (ports.length === 0 && spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
        errs.push(FieldError.required('spec.ports', ''));
      }
      ports.forEach((p, i) => {
        if (typeof p.port !== 'number') errs.push(FieldError.required(`spec.ports[${i}].port`, ''));
        else if (p.port < 1 || p.port > 65535)
          errs.push(FieldError.invalid(`spec.ports[${i}].port`, p.port, 'must be between 1 and 65535, inclusive'));
      });
      return errs;
    },
    columns: [
      {
        name: 'Type',
        type: 'string',
        description: 'The type of the service.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'type') ?? 'ClusterIP'),
      },
      {
        name: 'Cluster-IP',
        type: 'string',
        description: 'The IP address of the service.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'clusterIP') ?? '<none>'),
      },
      {
        name: 'External-IP',
        type: 'string',
        description: 'The external IP address of the service.',
        priority: 0,
        cell: (o) => {
          const type = field(o, 'spec', 'type');
          if (type === 'ExternalName') return String(field(o, 'spec', 'externalName') ?? '<none>');
          if (type === 'LoadBalancer') return '<pending>';
          const ips = asArray<string>(field(o, 'spec', 'externalIPs'));
          return ips.length ? ips.join(',') : '<none>';
        },
      },
      { name: 'Port(s)', type: 'string', description: 'The ports of the service.', priority: 0, cell: servicePorts },
      ageColumn,
      {
        name: 'Selector',
        type: 'string',
        description: 'Route service traffic to pods with label keys and values matching this selector.',
        priority: 1,
        cell: (o) => formatLabels(field(o, 'spec', 'selector')),
      },
    ],
  },
};

export const configmaps: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  listKind: 'ConfigMapList',
  namespaced: true,
  shortNames: ['cm'],
  verbs: standardVerbs,
  strategy: {
    generationFields: [],
    validate: (cm) => validateConfigMapContents(cm),
    onUpdate: (cm, old) => validateImmutableConfig(cm, old, ['data', 'binaryData']),
    columns: [
      {
        name: 'Data',
        type: 'string',
        description: 'Data contains the configuration data.',
        priority: 0,
        cell: (o) =>
          String(Object.keys((o.data as Obj) ?? {}).length + Object.keys((o.binaryData as Obj) ?? {}).length),
      },
      ageColumn,
    ],
  },
};

const base64Re = /^[A-Za-z0-9+/]*={0,2}$/;

export const secrets: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  listKind: 'SecretList',
  namespaced: true,
  verbs: standardVerbs,
  strategy: {
    generationFields: [],
    defaults(secret) {
      secret.type ??= 'Opaque';
      // stringData is write-only: merged into data (base64) and dropped, as the API server does.
      const stringData = secret.stringData as Record<string, string> | undefined;
      if (stringData) {
        const data = (secret.data ??= {}) as Record<string, string>;
        for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        delete secret.stringData;
      }
    },
    validate(secret) {
      const errs: FieldError[] = [];
      for (const [k, v] of Object.entries((secret.data as Obj) ?? {})) {
        if (typeof v !== 'string' || v.length % 4 !== 0 || !base64Re.test(v)) {
          errs.push(FieldError.invalid(`data[${k}]`, '<secret contents redacted>', 'illegal base64 data'));
        }
      }
      if (secret.type === 'kubernetes.io/service-account-token') {
        const annotations = secret.metadata.annotations ?? {};
        if (!annotations['kubernetes.io/service-account.name']) {
          errs.push(FieldError.required('metadata.annotations[kubernetes.io/service-account.name]', ''));
        }
      }
      errs.push(...validateSecretContents(secret));
      return errs;
    },
    onUpdate: (secret, old) => validateImmutableConfig(secret, old, ['data']),
    columns: [
      {
        name: 'Type',
        type: 'string',
        description: 'The type of the secret',
        priority: 0,
        cell: (o) => String(o.type ?? 'Opaque'),
      },
      {
        name: 'Data',
        type: 'string',
        description: 'The number of data entries in the secret',
        priority: 0,
        cell: (o) => String(Object.keys((o.data as Obj) ?? {}).length),
      },
      ageColumn,
    ],
  },
};

export const serviceaccounts: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  listKind: 'ServiceAccountList',
  namespaced: true,
  shortNames: ['sa'],
  verbs: standardVerbs,
  subresources: { token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] } },
  strategy: {
    generationFields: [],
    columns: [
      {
        name: 'Secrets',
        type: 'string',
        description:
          'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
        priority: 0,
        cell: (o) => String(asArray(o.secrets).length),
      },
      ageColumn,
    ],
  },
};

function eventObject(o: KubeObject): string {
  const involved = (o.involvedObject ?? {}) as Obj;
  return `${String(involved.kind ?? '').toLowerCase()}/${involved.name ?? ''}`;
}

export const events: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  listKind: 'EventList',
  namespaced: true,
  shortNames: ['ev'],
  verbs: standardVerbs,
  strategy: {
    generationFields: [],
    columns: [
      {
        name: 'Last Seen',
        type: 'string',
        description: 'Time when this Event was last observed.',
        priority: 0,
        cell: (o, now) => since((o.lastTimestamp as string) ?? o.metadata.creationTimestamp, now),
      },
      {
        name: 'Type',
        type: 'string',
        description: 'Type of this event (Normal, Warning), new types could be added in the future.',
        priority: 0,
        cell: (o) => String(o.type ?? ''),
      },
      {
        name: 'Reason',
        type: 'string',
        description:
          "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
        priority: 0,
        cell: (o) => String(o.reason ?? ''),
      },
      {
        name: 'Object',
        type: 'string',
        description: 'The object that this event is about.',
        priority: 0,
        cell: eventObject,
      },
      {
        name: 'Subobject',
        type: 'string',
        description: 'The subobject of the involved object.',
        priority: 1,
        cell: (o) => String(field(o, 'involvedObject', 'fieldPath') ?? ''),
      },
      {
        name: 'Source',
        type: 'string',
        description: 'The component reporting this event.',
        priority: 1,
        cell: (o) => String(field(o, 'source', 'component') ?? ''),
      },
      {
        name: 'Message',
        type: 'string',
        description: 'A human-readable description of the status of this operation.',
        priority: 0,
        cell: (o) => String(o.message ?? ''),
      },
      {
        name: 'First Seen',
        type: 'string',
        description: 'The time at which the event was first recorded.',
        priority: 1,
        cell: (o, now) => since(o.firstTimestamp as string | undefined, now),
      },
      {
        name: 'Count',
        type: 'string',
        description: 'The number of times this event has occurred.',
        priority: 1,
        cell: (o) => String(o.count ?? 1),
      },
      {
        name: 'Name',
        type: 'string',
        description: 'The name of the event.',
        priority: 1,
        cell: (o) => o.metadata.name ?? '',
      },
    ],
  },
};

export const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  listKind: 'NodeList',
  namespaced: false,
  shortNames: ['no'],
  verbs: standardVerbs,
  subresources: {
    status: { kind: 'Node', verbs: ['get', 'patch', 'update'] },
    proxy: { kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  },
  strategy: {
    hasStatus: true,
    generationFields: [],
    columns: [
      {
        name: 'Status',
        type: 'string',
        description: 'The status of the node',
        priority: 0,
        cell: (o) => {
          const ready = asArray(field(o, 'status', 'conditions')).find((c) => c.type === 'Ready');
          const state = ready?.status === 'True' ? 'Ready' : 'NotReady';
          return field(o, 'spec', 'unschedulable') ? `${state},SchedulingDisabled` : state;
        },
      },
      {
        name: 'Roles',
        type: 'string',
        description: 'The roles of the node',
        priority: 0,
        cell: (o) => {
          const roles = Object.keys(o.metadata.labels ?? {})
            .filter((k) => k.startsWith('node-role.kubernetes.io/'))
            .map((k) => k.slice('node-role.kubernetes.io/'.length))
            .sort();
          return roles.length ? roles.join(',') : '<none>';
        },
      },
      ageColumn,
      {
        name: 'Version',
        type: 'string',
        description: 'Kubelet Version reported by the node.',
        priority: 0,
        cell: (o) => String(field(o, 'status', 'nodeInfo', 'kubeletVersion') ?? ''),
      },
      {
        name: 'Internal-IP',
        type: 'string',
        description: 'List of addresses reachable to the node.',
        priority: 1,
        cell: (o) =>
          String(asArray(field(o, 'status', 'addresses')).find((a) => a.type === 'InternalIP')?.address ?? '<none>'),
      },
      {
        name: 'External-IP',
        type: 'string',
        description: 'List of addresses reachable to the node.',
        priority: 1,
        cell: (o) =>
          String(asArray(field(o, 'status', 'addresses')).find((a) => a.type === 'ExternalIP')?.address ?? '<none>'),
      },
      {
        name: 'OS-Image',
        type: 'string',
        description: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
        priority: 1,
        cell: (o) => String(field(o, 'status', 'nodeInfo', 'osImage') ?? ''),
      },
      {
        name: 'Kernel-Version',
        type: 'string',
        description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        priority: 1,
        cell: (o) => String(field(o, 'status', 'nodeInfo', 'kernelVersion') ?? ''),
      },
      {
        name: 'Container-Runtime',
        type: 'string',
        description:
          'Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
        priority: 1,
        cell: (o) => String(field(o, 'status', 'nodeInfo', 'containerRuntimeVersion') ?? ''),
      },
    ],
  },
};

export const endpoints: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  listKind: 'EndpointsList',
  namespaced: true,
  shortNames: ['ep'],
  deprecationWarning: 'v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice',
  verbs: standardVerbs,
  strategy: {
    generationFields: [],
    columns: [
      {
        name: 'Endpoints',
        type: 'string',
        description: 'Endpoints of the service',
        priority: 0,
        cell: (o) => {
          const list: string[] = [];
          for (const subset of asArray(o.subsets)) {
            for (const addr of asArray(subset.addresses)) {
              for (const port of asArray(subset.ports)) list.push(`${addr.ip}:${port.port}`);
            }
          }
          return list.length
            ? list.length > 3
              ? `${list.slice(0, 3).join(',')} + ${list.length - 3} more...`
              : list.join(',')
            : '<none>';
        },
      },
      ageColumn,
    ],
  },
};

export const coreResources = [
  pods,
  namespaces,
  services,
  configmaps,
  secrets,
  serviceaccounts,
  events,
  nodes,
  endpoints,
];
