import { FieldError } from '../../api/status.ts';
import type { KubeObject } from '../../storage/types.ts';
import { ageColumn, asArray, field } from '../printing.ts';
import { standardVerbs, type ResourceDef } from '../types.ts';

type Obj = Record<string, unknown>;

/**
 * scheduling.k8s.io/v1 PriorityClass and autoscaling/v2 HorizontalPodAutoscaler. Objects are
 * served and validated; nothing schedules or preempts by priority, and no HPA controller
 * scales (no metrics exist), so an HPA's current metrics stay <unknown>.
 */

export const highestUserDefinablePriority = 1_000_000_000;
const systemCriticalPriority = 2 * highestUserDefinablePriority;

/** The classes kube-apiserver creates at start (pkg/apis/scheduling/v1/helpers.go). */
export const systemPriorityClasses: Array<{ name: string; value: number; description: string }> = [
  {
    name: 'system-node-critical',
    value: systemCriticalPriority + 1000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    name: 'system-cluster-critical',
    value: systemCriticalPriority,
    description:
      'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

const preemptionPolicies = ['Never', 'PreemptLowerPriority'];

export const priorityclasses: ResourceDef = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  singular: 'priorityclass',
  listKind: 'PriorityClassList',
  namespaced: false,
  shortNames: ['pc'],
  verbs: standardVerbs,
  strategy: {
    generationFields: [],
    defaults(pc) {
      pc.preemptionPolicy ??= 'PreemptLowerPriority';
    },
    // pkg/apis/scheduling/validation: the system- prefix is reserved, user values are capped.
    validate(pc) {
      const errs: FieldError[] = [];
      const name = pc.metadata.name ?? '';
      const value = pc.value;
      if (typeof value !== 'number' || !Number.isInteger(value)) errs.push(FieldError.required('value', ''));
      if (name.startsWith('system-')) {
        const known = systemPriorityClasses.find((c) => c.name === name);
        const why = !known
          ? `${name} is not a known system priority class`
          : known.value !== value
            ? `value of ${name} PriorityClass must be ${known.value}`
            : '';
        if (why)
          errs.push(
            FieldError.forbidden(
              'metadata.name',
              `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`,
            ),
          );
      } else if (typeof value === 'number' && value > highestUserDefinablePriority) {
        errs.push(
          FieldError.forbidden(
            'value',
            `maximum allowed value of a user defined priority is ${highestUserDefinablePriority}`,
          ),
        );
      }
      if (pc.preemptionPolicy !== undefined && !preemptionPolicies.includes(String(pc.preemptionPolicy)))
        errs.push(FieldError.notSupported('preemptionPolicy', pc.preemptionPolicy, preemptionPolicies));
      return errs;
    },
    onUpdate(pc, old) {
      const errs: FieldError[] = [];
      if (pc.value !== old.value) errs.push(FieldError.forbidden('Value', 'may not be changed in an update.'));
      if (pc.preemptionPolicy !== old.preemptionPolicy)
        errs.push(FieldError.forbidden('PreemptionPolicy', 'may not be changed in an update.'));
      return errs;
    },
    columns: [
      {
        name: 'Value',
        type: 'integer',
        description:
          'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.',
        priority: 0,
        cell: (o) => Number(o.value ?? 0),
      },
      {
        name: 'Global-Default',
        type: 'boolean',
        description:
          'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.',
        priority: 0,
        cell: (o) => o.globalDefault === true,
      },
      ageColumn,
      {
        name: 'PreemptionPolicy',
        type: 'string',
        description:
          'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.',
        priority: 0,
        cell: (o) => String(o.preemptionPolicy ?? ''),
      },
    ],
  },
};

/** The global default class (the lowest value wins if several claim it), if any. */
export function defaultPriorityClass(classes: KubeObject[]): KubeObject | undefined {
  return classes.filter((c) => c.globalDefault === true).sort((a, b) => Number(a.value ?? 0) - Number(b.value ?? 0))[0];
}

type Quantity = string | number | undefined;

/** One entry of the TARGETS column (pkg/printers/internalversion/printers.go formatHPAMetrics). */
function formatMetric(spec: Obj, status: Obj | undefined): string {
  const type = String(spec.type ?? '');
  const key = type.charAt(0).toLowerCase() + type.slice(1);
  const source = (spec[key] ?? {}) as Obj;
  const target = (source.target ?? {}) as Obj;
  const current = ((status?.[key] as Obj | undefined)?.current ?? undefined) as Obj | undefined;
  const q = (v: Quantity) => String(v);
  switch (type) {
    case 'External':
    case 'Object':
      if (target.averageValue !== undefined)
        return `${current?.averageValue !== undefined ? q(current.averageValue as Quantity) : '<unknown>'}/${q(target.averageValue as Quantity)} (avg)`;
      return `${current?.value !== undefined ? q(current.value as Quantity) : '<unknown>'}/${q(target.value as Quantity)}`;
    case 'Pods':
      return `${current?.averageValue !== undefined ? q(current.averageValue as Quantity) : '<unknown>'}/${q(target.averageValue as Quantity)}`;
    case 'Resource':
    case 'ContainerResource': {
      const name = String(source.name ?? '');
      if (target.averageValue !== undefined)
        return `${name}: ${current?.averageValue !== undefined ? q(current.averageValue as Quantity) : '<unknown>'}/${q(target.averageValue as Quantity)}`;
      const now = current?.averageUtilization !== undefined ? `${String(current.averageUtilization)}%` : '<unknown>';
      const want = target.averageUtilization !== undefined ? `${String(target.averageUtilization)}%` : '<auto>';
      return `${name}: ${now}/${want}`;
    }
    default:
      return '<unknown type>';
  }
}

function formatMetrics(o: KubeObject): string {
  const specs = asArray(field(o, 'spec', 'metrics'));
  if (specs.length === 0) return '<none>';
  const statuses = asArray(field(o, 'status', 'currentMetrics'));
  const list = specs.map((s, i) => formatMetric(s, statuses[i]));
  const shown = list.slice(0, 2).join(', ');
  return list.length > 2 ? `${shown} + ${list.length - 2} more...` : shown;
}

const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];

const cpuUtilization = (percent: unknown) => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: percent } },
});

/** pkg/apis/autoscaling/v2/defaults.go: one replica, 80% CPU, and the default scaling behavior. */
function defaultHpa(hpa: KubeObject): void {
  const spec = (hpa.spec ??= {}) as Obj;
  spec.minReplicas ??= 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) spec.metrics = [cpuUtilization(80)];
  const behavior = (spec.behavior ??= {}) as Obj;
  const up = (behavior.scaleUp ??= {}) as Obj;
  up.stabilizationWindowSeconds ??= 0;
  up.selectPolicy ??= 'Max';
  up.policies ??= [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ];
  const down = (behavior.scaleDown ??= {}) as Obj;
  down.stabilizationWindowSeconds ??= 300;
  down.selectPolicy ??= 'Max';
  down.policies ??= [{ type: 'Percent', value: 100, periodSeconds: 15 }];
}

/**
 * autoscaling/v1 → v2 (pkg/apis/autoscaling/v1/conversion.go): targetCPUUtilizationPercentage
 * becomes a CPU Resource metric. Both versions share one storage, kept in the v2 form.
 */
function hpaFromV1(hpa: KubeObject): void {
  hpa.apiVersion = 'autoscaling/v2';
  const spec = (hpa.spec ??= {}) as Obj;
  if (spec.targetCPUUtilizationPercentage !== undefined) {
    spec.metrics = [cpuUtilization(spec.targetCPUUtilizationPercentage)];
    delete spec.targetCPUUtilizationPercentage;
  }
  defaultHpa(hpa);
}

export const horizontalpodautoscalers: ResourceDef = {
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  listKind: 'HorizontalPodAutoscalerList',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  verbs: standardVerbs,
  subresources: { status: { kind: 'HorizontalPodAutoscaler', verbs: ['get', 'patch', 'update'] } },
  strategy: {
    hasStatus: true,
    defaults: defaultHpa,
    // pkg/apis/autoscaling/validation ValidateHorizontalPodAutoscalerSpec.
    validate(hpa) {
      const errs: FieldError[] = [];
      const spec = (hpa.spec ?? {}) as Obj;
      const ref = (spec.scaleTargetRef ?? {}) as Obj;
      if (!ref.kind) errs.push(FieldError.required('spec.scaleTargetRef.kind', ''));
      if (!ref.name) errs.push(FieldError.required('spec.scaleTargetRef.name', ''));
      const min = Number(spec.minReplicas ?? 1);
      const max = Number(spec.maxReplicas ?? 0);
      if (min < 1) errs.push(FieldError.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
      if (max < 1) errs.push(FieldError.invalid('spec.maxReplicas', max, 'must be greater than 0'));
      else if (min > max)
        errs.push(FieldError.invalid('spec.minReplicas', min, 'must be less than or equal to maxReplicas'));
      asArray(spec.metrics).forEach((m, i) => {
        if (!metricTypes.includes(String(m.type ?? '')))
          errs.push(FieldError.notSupported(`spec.metrics[${i}].type`, m.type ?? '', metricTypes));
      });
      return errs;
    },
    columns: [
      {
        name: 'Reference',
        type: 'string',
        description:
          'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.',
        priority: 0,
        cell: (o) =>
          `${String(field(o, 'spec', 'scaleTargetRef', 'kind') ?? '')}/${String(field(o, 'spec', 'scaleTargetRef', 'name') ?? '')}`,
      },
      {
        name: 'Targets',
        type: 'string',
        description:
          'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).',
        priority: 0,
        cell: formatMetrics,
      },
      {
        name: 'MinPods',
        type: 'string',
        description:
          'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.',
        priority: 0,
        cell: (o) => {
          const min = field(o, 'spec', 'minReplicas');
          return min === undefined ? '<unset>' : String(min);
        },
      },
      {
        name: 'MaxPods',
        type: 'string',
        description:
          'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.',
        priority: 0,
        cell: (o) => Number(field(o, 'spec', 'maxReplicas') ?? 0),
      },
      {
        name: 'Replicas',
        type: 'string',
        description:
          'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.',
        priority: 0,
        cell: (o) => Number(field(o, 'status', 'currentReplicas') ?? 0),
      },
      ageColumn,
    ],
  },
};

/** v2 → v1 for responses: the CPU utilization target and current value; other metrics are dropped. */
function hpaToV1(hpa: KubeObject): KubeObject {
  const spec = { ...((hpa.spec ?? {}) as Obj) };
  const cpu = asArray(spec.metrics).find((m) => m.type === 'Resource' && field(m, 'resource', 'name') === 'cpu');
  const percent = field(cpu, 'resource', 'target', 'averageUtilization');
  delete spec.metrics;
  delete spec.behavior;
  if (percent !== undefined) spec.targetCPUUtilizationPercentage = percent;
  const out: KubeObject = { ...hpa, apiVersion: 'autoscaling/v1', spec };
  const status = hpa.status as Obj | undefined;
  if (status) {
    const current = asArray(status.currentMetrics).find(
      (m) => m.type === 'Resource' && field(m, 'resource', 'name') === 'cpu',
    );
    const { currentMetrics: _m, conditions: _c, ...rest } = status;
    const utilization = field(current, 'resource', 'current', 'averageUtilization');
    out.status = utilization === undefined ? rest : { ...rest, currentCPUUtilizationPercentage: utilization };
  }
  return out;
}

/**
 * autoscaling/v1, which `kubectl autoscale` writes. Writes are converted to the stored v2
 * form; responses through v1 are converted back (the CPU target; other metrics have no v1 form).
 */
export const horizontalpodautoscalersV1: ResourceDef = {
  ...horizontalpodautoscalers,
  version: 'v1',
  strategy: { ...horizontalpodautoscalers.strategy, defaults: hpaFromV1, toVersion: hpaToV1 },
};

export const schedulingResources: ResourceDef[] = [
  priorityclasses,
  horizontalpodautoscalers,
  horizontalpodautoscalersV1,
];
