import { FieldError } from '../../api/status.ts';
import type { KubeObject } from '../../storage/types.ts';
import { ageColumn, field, since } from '../printing.ts';
import { standardVerbs, type ResourceDef } from '../types.ts';

type Obj = Record<string, unknown>;

/**
 * flowcontrol.apiserver.k8s.io/v1 (API Priority and Fairness) and events.k8s.io/v1. The
 * objects are served and validated, and the mandatory FlowSchemas and priority levels exist,
 * but no request is queued or rejected by them: this cluster serves one learner.
 * events.k8s.io Events are stored on their own: the core/v1 Events the simulated
 * components write do not show up here, as they would in a real cluster.
 */

export const flowschemas: ResourceDef = {
  group: 'flowcontrol.apiserver.k8s.io',
  version: 'v1',
  kind: 'FlowSchema',
  plural: 'flowschemas',
  singular: 'flowschema',
  listKind: 'FlowSchemaList',
  namespaced: false,
  verbs: standardVerbs,
  subresources: { status: { kind: 'FlowSchema', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    validate(fs) {
      const errs: FieldError[] = [];
      const spec = (fs.spec ?? {}) as Obj;
      if (!field(spec, 'priorityLevelConfiguration', 'name'))
        errs.push(FieldError.required('spec.priorityLevelConfiguration.name', 'must reference a priority level'));
      const precedence = Number(spec.matchingPrecedence ?? 1000);
      if (precedence < 1 || precedence > 10000)
        errs.push(FieldError.invalid('spec.matchingPrecedence', precedence, 'must be between 1 and 10000 inclusively'));
      return errs;
    },
    defaults(fs) {
      const spec = (fs.spec ??= {}) as Obj;
      spec.matchingPrecedence ??= 1000;
    },
    columns: [
      {
        name: 'PriorityLevel',
        type: 'string',
        description: '`name` is the name of the priority level configuration being referenced Required.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'priorityLevelConfiguration', 'name') ?? ''),
      },
      {
        name: 'MatchingPrecedence',
        type: 'string',
        description:
          '`matchingPrecedence` is used to choose among the FlowSchemas that match a given request. The chosen FlowSchema is among those with the numerically lowest (which we take to be logically highest) MatchingPrecedence.  Each MatchingPrecedence value must be ranged in [1,10000]. Note that if the precedence is not specified, it will be set to 1000 as default.',
        priority: 0,
        cell: (o) => Number(field(o, 'spec', 'matchingPrecedence') ?? 0),
      },
      {
        name: 'DistinguisherMethod',
        type: 'string',
        description:
          '`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this schema. `nil` specifies that the distinguisher is disabled and thus will always be the empty string.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'distinguisherMethod', 'type') ?? '<none>'),
      },
      ageColumn,
      {
        name: 'MissingPL',
        type: 'string',
        description: 'references a broken or non-existent PriorityLevelConfiguration',
        priority: 0,
        cell: (o) => {
          const dangling = ((field(o, 'status', 'conditions') as Obj[] | undefined) ?? []).find(
            (c) => c.type === 'Dangling',
          );
          return dangling ? String(dangling.status) : '?';
        },
      },
    ],
  },
};

function queuing(o: KubeObject, key: string): unknown {
  const value = field(o, 'spec', 'limited', 'limitResponse', 'queuing', key);
  return value === undefined ? '<none>' : value;
}

export const prioritylevelconfigurations: ResourceDef = {
  group: 'flowcontrol.apiserver.k8s.io',
  version: 'v1',
  kind: 'PriorityLevelConfiguration',
  plural: 'prioritylevelconfigurations',
  singular: 'prioritylevelconfiguration',
  listKind: 'PriorityLevelConfigurationList',
  namespaced: false,
  verbs: standardVerbs,
  subresources: { status: { kind: 'PriorityLevelConfiguration', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    validate(plc) {
      const type = field(plc, 'spec', 'type');
      if (type === undefined) return [FieldError.required('spec.type', 'must not be empty')];
      if (type !== 'Exempt' && type !== 'Limited')
        return [FieldError.notSupported('spec.type', type, ['Exempt', 'Limited'])];
      if (type === 'Limited' && field(plc, 'spec', 'limited') === undefined)
        return [FieldError.required('spec.limited', 'must not be empty when type is Limited')];
      return [];
    },
    columns: [
      {
        name: 'Type',
        type: 'string',
        description:
          '`type` indicates whether this priority level is subject to limitation on request execution.  A value of `"Exempt"` means that requests of this priority level are not subject to a limit (and thus are never queued) and do not detract from the capacity made available to other priority levels.  A value of `"Limited"` means that (a) requests of this priority level _are_ subject to limits and (b) some of the server\'s limited capacity is made available exclusively to this priority level. Required.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'type') ?? ''),
      },
      {
        name: 'NominalConcurrencyShares',
        type: 'string',
        description:
          '`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit (NominalCL) of this level.',
        priority: 0,
        cell: (o) => field(o, 'spec', 'limited', 'nominalConcurrencyShares') ?? '<none>',
      },
      {
        name: 'Queues',
        type: 'string',
        description: '`queues` is the number of queues for this priority level.',
        priority: 0,
        cell: (o) => queuing(o, 'queues'),
      },
      {
        name: 'HandSize',
        type: 'string',
        description:
          '`handSize` is a small positive number that configures the shuffle sharding of requests into queues.',
        priority: 0,
        cell: (o) => queuing(o, 'handSize'),
      },
      {
        name: 'QueueLengthLimit',
        type: 'string',
        description:
          '`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of this priority level at a time.',
        priority: 0,
        cell: (o) => queuing(o, 'queueLengthLimit'),
      },
      ageColumn,
    ],
  },
};

const everything = {
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
};
const groups = (...names: string[]) => names.map((name) => ({ kind: 'Group', group: { name } }));
const autoupdate = { 'apf.kubernetes.io/autoupdate-spec': 'true' };

/** The mandatory configuration (k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap): exempt and catch-all. */
export const mandatoryPriorityLevels: KubeObject[] = [
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'PriorityLevelConfiguration',
    metadata: { name: 'catch-all', annotations: { ...autoupdate } },
    spec: {
      type: 'Limited',
      limited: { nominalConcurrencyShares: 5, lendablePercent: 0, limitResponse: { type: 'Reject' } },
    },
  },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'PriorityLevelConfiguration',
    metadata: { name: 'exempt', annotations: { ...autoupdate } },
    spec: { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } },
  },
];

export const mandatoryFlowSchemas: KubeObject[] = [
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name: 'catch-all', annotations: { ...autoupdate } },
    spec: {
      matchingPrecedence: 10000,
      priorityLevelConfiguration: { name: 'catch-all' },
      distinguisherMethod: { type: 'ByUser' },
      rules: [{ subjects: groups('system:unauthenticated', 'system:authenticated'), ...everything }],
    },
  },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name: 'exempt', annotations: { ...autoupdate } },
    spec: {
      matchingPrecedence: 1,
      priorityLevelConfiguration: { name: 'exempt' },
      rules: [{ subjects: groups('system:masters'), ...everything }],
    },
  },
];

const eventTypes = ['Normal', 'Warning'];

export const eventsV1: ResourceDef = {
  group: 'events.k8s.io',
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
    // pkg/apis/core/validation/events.go, for events.k8s.io/v1 clients.
    validate(ev) {
      const errs: FieldError[] = [];
      if (!ev.eventTime) errs.push(FieldError.required('eventTime', ''));
      for (const key of ['reportingController', 'reportingInstance', 'action', 'reason'])
        if (!ev[key]) errs.push(FieldError.required(key, ''));
      if (ev.type !== undefined && !eventTypes.includes(String(ev.type)))
        errs.push(FieldError.notSupported('type', ev.type, eventTypes));
      if (typeof ev.note === 'string' && ev.note.length > 1024) errs.push(FieldError.tooLong('note', 1024));
      const regardingNs = field(ev, 'regarding', 'namespace');
      if (regardingNs !== undefined && regardingNs !== ev.metadata.namespace)
        errs.push(FieldError.invalid('regarding.namespace', regardingNs, 'does not match event.namespace'));
      return errs;
    },
    columns: [
      {
        name: 'Last Seen',
        type: 'string',
        description: 'Time when this Event was last observed.',
        priority: 0,
        cell: (o, now) =>
          since((o.deprecatedLastTimestamp as string) ?? (o.eventTime as string) ?? o.metadata.creationTimestamp, now),
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
        cell: (o) =>
          `${String(field(o, 'regarding', 'kind') ?? '').toLowerCase()}/${String(field(o, 'regarding', 'name') ?? '')}`,
      },
      {
        name: 'Message',
        type: 'string',
        description: 'A human-readable description of the status of this operation.',
        priority: 0,
        cell: (o) => String(o.note ?? ''),
      },
    ],
  },
};

export const flowcontrolResources: ResourceDef[] = [flowschemas, prioritylevelconfigurations, eventsV1];
