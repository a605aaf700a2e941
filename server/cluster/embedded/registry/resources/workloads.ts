import { FieldError } from '../../api/status.ts';
import type { KubeObject } from '../../storage/types.ts';
import { validateLabels } from '../meta-validation.ts';
import {
  ageColumn,
  asArray,
  containersColumn,
  field,
  formatLabels,
  humanDuration,
  imagesColumn,
  num,
  selectorColumn,
  since,
} from '../printing.ts';
import { standardVerbs, type ResourceDef, type TableColumn } from '../types.ts';
import { defaultPodSpec, validatePodSpec } from './pod-spec.ts';
import { selectorMatches, validateLabelSelector } from '../../storage/selectors.ts';

type Obj = Record<string, unknown>;

function defaultTemplate(object: KubeObject): void {
  const spec = (object.spec ??= {}) as Obj;
  const template = (spec.template ??= {}) as Obj;
  template.metadata ??= {};
  defaultPodSpec((template.spec ??= {}) as Obj);
}

/** Selector required, template labels must match it, pod spec valid. */
function validateSelectorAndTemplate(object: KubeObject, restartAlways: boolean): FieldError[] {
  const spec = (object.spec ?? {}) as Obj;
  const errs: FieldError[] = [];
  const selector = spec.selector as Obj | undefined;
  if (!selector) errs.push(FieldError.required('spec.selector', ''));
  else errs.push(...validateLabelSelector(selector, 'spec.selector'));
  const labels = (field(spec, 'template', 'metadata', 'labels') ?? {}) as Record<string, string>;
  if (selector && Object.keys(selector).length === 0) {
    errs.push(FieldError.invalid('spec.selector', selector, 'empty selector is invalid for deployment'));
  }
  if (selector && !selectorMatches(selector, labels)) {
    errs.push(
      FieldError.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
    );
  }
  errs.push(...validateLabels(labels, 'spec.template.metadata.labels'));
  errs.push(...validatePodSpec(field(spec, 'template', 'spec') as Obj | undefined, 'spec.template.spec'));
  const restartPolicy = field(spec, 'template', 'spec', 'restartPolicy');
  if (restartAlways && restartPolicy !== undefined && restartPolicy !== 'Always') {
    errs.push(FieldError.notSupported('spec.template.spec.restartPolicy', restartPolicy, ['Always']));
  }
  if (spec.replicas !== undefined && (typeof spec.replicas !== 'number' || spec.replicas < 0)) {
    errs.push(FieldError.invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  }
  return errs;
}

function immutableSelector(object: KubeObject, old: KubeObject): FieldError[] {
  const now = JSON.stringify(field(object, 'spec', 'selector') ?? null);
  const before = JSON.stringify(field(old, 'spec', 'selector') ?? null);
  return now === before
    ? []
    : [FieldError.invalid('spec.selector', field(object, 'spec', 'selector'), 'field is immutable')];
}

const scaleSubresource = { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };

export const deployments: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  singular: 'deployment',
  listKind: 'DeploymentList',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'Deployment', verbs: ['get', 'patch', 'update'] }, scale: scaleSubresource },
  strategy: {
    hasStatus: true,
    defaults(d) {
      defaultTemplate(d);
      const spec = d.spec as Obj;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      const strategy = (spec.strategy ??= {}) as Obj;
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const ru = (strategy.rollingUpdate ??= {}) as Obj;
        ru.maxUnavailable ??= '25%';
        ru.maxSurge ??= '25%';
      }
    },
    validate: (d) => validateSelectorAndTemplate(d, true),
    onUpdate: immutableSelector,
    columns: [
      {
        name: 'Ready',
        type: 'string',
        description: 'Number of the pod with ready state',
        priority: 0,
        cell: (o) => `${num(field(o, 'status', 'readyReplicas'))}/${num(field(o, 'spec', 'replicas'))}`,
      },
      {
        name: 'Up-to-date',
        type: 'integer',
        description:
          'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
        priority: 0,
        cell: (o) => num(field(o, 'status', 'updatedReplicas')),
      },
      {
        name: 'Available',
        type: 'integer',
        description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
        priority: 0,
        cell: (o) => num(field(o, 'status', 'availableReplicas')),
      },
      ageColumn,
      containersColumn(),
      imagesColumn(),
      selectorColumn,
    ],
  },
};

export const replicasets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  singular: 'replicaset',
  listKind: 'ReplicaSetList',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'ReplicaSet', verbs: ['get', 'patch', 'update'] }, scale: scaleSubresource },
  strategy: {
    hasStatus: true,
    defaults(rs) {
      defaultTemplate(rs);
      (rs.spec as Obj).replicas ??= 1;
    },
    validate: (rs) => validateSelectorAndTemplate(rs, true),
    onUpdate: immutableSelector,
    columns: [
      {
        name: 'Desired',
        type: 'integer',
        description: 'Number of desired pods.',
        priority: 0,
        cell: (o) => num(field(o, 'spec', 'replicas')),
      },
      {
        name: 'Current',
        type: 'integer',
        description: 'Most recently observed number of replicas.',
        priority: 0,
        cell: (o) => num(field(o, 'status', 'replicas')),
      },
      {
        name: 'Ready',
        type: 'integer',
        description: 'The number of ready replicas for this replica set.',
        priority: 0,
        cell: (o) => num(field(o, 'status', 'readyReplicas')),
      },
      ageColumn,
      containersColumn(),
      imagesColumn(),
      selectorColumn,
    ],
  },
};

export const daemonsets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  singular: 'daemonset',
  listKind: 'DaemonSetList',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'DaemonSet', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    defaults(ds) {
      defaultTemplate(ds);
      const spec = ds.spec as Obj;
      spec.revisionHistoryLimit ??= 10;
      const strategy = (spec.updateStrategy ??= {}) as Obj;
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        const ru = (strategy.rollingUpdate ??= {}) as Obj;
        ru.maxUnavailable ??= 1;
        ru.maxSurge ??= 0;
      }
    },
    validate: (ds) => validateSelectorAndTemplate(ds, true),
    onUpdate: immutableSelector,
    columns: [
      {
        name: 'Desired',
        type: 'integer',
        description: 'The total number of nodes that should be running the daemon pod.',
        priority: 0,
        cell: (o) => num(field(o, 'status', 'desiredNumberScheduled')),
      },
      {
        name: 'Current',
        type: 'integer',
        description: 'The number of nodes that are running at least 1 daemon pod.',
        priority: 0,
        cell: (o) => num(field(o, 'status', 'currentNumberScheduled')),
      },
      {
        name: 'Ready',
        type: 'integer',
        description:
          'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
        priority: 0,
        cell: (o) => num(field(o, 'status', 'numberReady')),
      },
      {
        name: 'Up-to-date',
        type: 'integer',
        description: 'The total number of nodes that are running updated daemon pod',
        priority: 0,
        cell: (o) => num(field(o, 'status', 'updatedNumberScheduled')),
      },
      {
        name: 'Available',
        type: 'integer',
        description:
          'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
        priority: 0,
        cell: (o) => num(field(o, 'status', 'numberAvailable')),
      },
      {
        name: 'Node Selector',
        type: 'string',
        description: 'NodeSelector is a selector which must be true for the pod to fit on a node.',
        priority: 0,
        cell: (o) => formatLabels(field(o, 'spec', 'template', 'spec', 'nodeSelector')),
      },
      ageColumn,
      containersColumn(),
      imagesColumn(),
      selectorColumn,
    ],
  },
};

export const statefulsets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  singular: 'statefulset',
  listKind: 'StatefulSetList',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'StatefulSet', verbs: ['get', 'patch', 'update'] }, scale: scaleSubresource },
  strategy: {
    hasStatus: true,
    defaults(sts) {
      defaultTemplate(sts);
      const spec = sts.spec as Obj;
      spec.replicas ??= 1;
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.revisionHistoryLimit ??= 10;
      spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      const strategy = (spec.updateStrategy ??= {}) as Obj;
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') (strategy.rollingUpdate ??= {}) as Obj;
      const ru = strategy.rollingUpdate as Obj | undefined;
      if (ru) ru.partition ??= 0;
    },
    validate: (sts) => validateSelectorAndTemplate(sts, true),
    onUpdate: immutableSelector,
    columns: [
      {
        name: 'Ready',
        type: 'string',
        description: 'Number of the pod with ready state',
        priority: 0,
        cell: (o) => `${num(field(o, 'status', 'readyReplicas'))}/${num(field(o, 'spec', 'replicas'))}`,
      },
      ageColumn,
      containersColumn(),
      imagesColumn(),
    ],
  },
};

function jobStatus(o: KubeObject): string {
  const conditions = asArray(field(o, 'status', 'conditions'));
  const has = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (has('FailureTarget')) return 'FailureTarget';
  if (has('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (field(o, 'spec', 'suspend') === true) return 'Suspended';
  return 'Running';
}

const jobColumns: TableColumn[] = [
  { name: 'Status', type: 'string', description: 'Status of the job.', priority: 0, cell: jobStatus },
  {
    name: 'Completions',
    type: 'string',
    description: 'The desired number of successfully finished pods the job should be run with.',
    priority: 0,
    cell: (o) => {
      const completions = field(o, 'spec', 'completions');
      const succeeded = num(field(o, 'status', 'succeeded'));
      if (typeof completions === 'number') return `${succeeded}/${completions}`;
      const parallelism = num(field(o, 'spec', 'parallelism'));
      return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
    },
  },
  {
    name: 'Duration',
    type: 'string',
    description: 'Time required to complete the job.',
    priority: 0,
    cell: (o, now) => {
      const start = field(o, 'status', 'startTime') as string | undefined;
      if (!start) return '';
      const end = field(o, 'status', 'completionTime') as string | undefined;
      return humanDuration((end ? Date.parse(end) : now) - Date.parse(start));
    },
  },
  ageColumn,
  containersColumn(),
  imagesColumn(),
  selectorColumn,
];

export const jobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  singular: 'job',
  listKind: 'JobList',
  namespaced: true,
  categories: ['all'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'Job', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    defaults(job) {
      defaultTemplate(job);
      const spec = job.spec as Obj;
      spec.parallelism ??= 1;
      spec.completions ??= 1;
      spec.backoffLimit ??= 6;
      spec.completionMode ??= 'NonIndexed';
      spec.suspend ??= false;
      spec.podReplacementPolicy ??= 'TerminatingOrFailed';
      // The job controller owns the selector: it labels the template with the job's uid.
      const uid = job.metadata.uid ?? '';
      const template = spec.template as Obj;
      const labels = ((template.metadata as Obj).labels ??= {}) as Record<string, string>;
      if (spec.manualSelector !== true && uid) {
        labels['batch.kubernetes.io/controller-uid'] ??= uid;
        labels['batch.kubernetes.io/job-name'] ??= job.metadata.name ?? '';
        labels['controller-uid'] ??= uid;
        labels['job-name'] ??= job.metadata.name ?? '';
        spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      }
    },
    validate(job) {
      const errs = validatePodSpec(field(job, 'spec', 'template', 'spec') as Obj | undefined, 'spec.template.spec');
      const restartPolicy = field(job, 'spec', 'template', 'spec', 'restartPolicy');
      if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
        errs.push(
          FieldError.notSupported('spec.template.spec.restartPolicy', restartPolicy ?? '', ['OnFailure', 'Never']),
        );
      }
      return errs;
    },
    onUpdate(job, old) {
      const before = JSON.stringify(field(old, 'spec', 'template') ?? null);
      const now = JSON.stringify(field(job, 'spec', 'template') ?? null);
      return before === now
        ? immutableSelector(job, old)
        : [FieldError.invalid('spec.template', field(job, 'spec', 'template'), 'field is immutable')];
    },
    columns: jobColumns,
  },
};

export const cronjobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  singular: 'cronjob',
  listKind: 'CronJobList',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'CronJob', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    defaults(cj) {
      const spec = (cj.spec ??= {}) as Obj;
      spec.concurrencyPolicy ??= 'Allow';
      spec.suspend ??= false;
      spec.successfulJobsHistoryLimit ??= 3;
      spec.failedJobsHistoryLimit ??= 1;
      const jobTemplate = (spec.jobTemplate ??= {}) as Obj;
      jobTemplate.metadata ??= {};
      const jobSpec = (jobTemplate.spec ??= {}) as Obj;
      const template = (jobSpec.template ??= {}) as Obj;
      template.metadata ??= {};
      defaultPodSpec((template.spec ??= {}) as Obj);
    },
    validate(cj) {
      const errs: FieldError[] = [];
      const schedule = field(cj, 'spec', 'schedule');
      if (typeof schedule !== 'string' || schedule.trim() === '') errs.push(FieldError.required('spec.schedule', ''));
      else if (
        !/^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every .+)$/.test(schedule) &&
        schedule.trim().split(/\s+/).length !== 5
      ) {
        errs.push(FieldError.invalid('spec.schedule', schedule, `unparseable schedule`));
      }
      const path = 'spec.jobTemplate.spec.template.spec';
      errs.push(
        ...validatePodSpec(field(cj, 'spec', 'jobTemplate', 'spec', 'template', 'spec') as Obj | undefined, path),
      );
      const restartPolicy = field(cj, 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'restartPolicy');
      if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
        errs.push(FieldError.notSupported(`${path}.restartPolicy`, restartPolicy ?? '', ['OnFailure', 'Never']));
      }
      return errs;
    },
    columns: [
      {
        name: 'Schedule',
        type: 'string',
        description: 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'schedule') ?? ''),
      },
      {
        name: 'Timezone',
        type: 'string',
        description:
          'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
        priority: 0,
        cell: (o) => String(field(o, 'spec', 'timeZone') ?? '<none>'),
      },
      {
        name: 'Suspend',
        type: 'boolean',
        description:
          'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.',
        priority: 0,
        cell: (o) => field(o, 'spec', 'suspend') === true,
      },
      {
        name: 'Active',
        type: 'integer',
        description: 'A list of pointers to currently running jobs.',
        priority: 0,
        cell: (o) => asArray(field(o, 'status', 'active')).length,
      },
      {
        name: 'Last Schedule',
        type: 'string',
        description: 'Information when was the last time the job was successfully scheduled.',
        priority: 0,
        cell: (o, now) => {
          const t = field(o, 'status', 'lastScheduleTime') as string | undefined;
          return t ? since(t, now) : '<none>';
        },
      },
      ageColumn,
      containersColumn(['spec', 'jobTemplate', 'spec', 'template', 'spec']),
      imagesColumn(['spec', 'jobTemplate', 'spec', 'template', 'spec']),
      {
        name: 'Selector',
        type: 'string',
        description: 'A label query over pods that should match the pod count.',
        priority: 1,
        cell: (o) => {
          const s = field(o, 'spec', 'jobTemplate', 'spec', 'selector');
          return s ? JSON.stringify(s) : '<none>';
        },
      },
    ],
  },
};

export const workloadResources = [deployments, replicasets, daemonsets, statefulsets, jobs, cronjobs];
