import type { KubeObject } from '../storage/types.ts';
import type { TableColumn } from './types.ts';

/** Duration like k8s.io/apimachinery/pkg/util/duration.HumanDuration ("5m", "3h12m", "2d"). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (years < 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

export function since(timestamp: string | undefined, now: number): string {
  if (!timestamp) return '<unknown>';
  return humanDuration(now - Date.parse(timestamp));
}

export const ageColumn: TableColumn = {
  name: 'Age',
  type: 'string',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  priority: 0,
  cell: (o, now) => since(o.metadata.creationTimestamp, now),
};

export const createdAtColumn: TableColumn = {
  name: 'Created At',
  type: 'date',
  description: ageColumn.description,
  priority: 0,
  cell: (o) => o.metadata.creationTimestamp ?? '',
};

export const nameColumnDescription =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

/** Reads a nested field; a missing step yields undefined. */
export function field(object: unknown, ...path: Array<string | number>): unknown {
  let current: unknown = object;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

export function asArray<T = Record<string, unknown>>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

export function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** "app=web,tier=front" from a map, "<none>" when empty. */
export function formatLabels(map: unknown): string {
  const entries = Object.entries((map as Record<string, string> | undefined) ?? {});
  if (entries.length === 0) return '<none>';
  return entries
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Selector text as kubectl prints metav1.LabelSelector. */
export function formatLabelSelector(selector: unknown): string {
  const sel = (selector ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    parts.push(`${k}=${v}`);
  }
  for (const expr of asArray<{ key: string; operator: string; values?: string[] }>(sel.matchExpressions)) {
    const values = [...(expr.values ?? [])].sort().join(',');
    switch (expr.operator) {
      case 'In':
        parts.push(`${expr.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${expr.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(expr.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${expr.key}`);
        break;
    }
  }
  return parts.length ? parts.join(',') : '<none>';
}

export function templateContainers(
  object: KubeObject,
  path: string[] = ['spec', 'template', 'spec'],
): Array<Record<string, unknown>> {
  return asArray(field(object, ...path, 'containers'));
}

export const containersColumn = (path?: string[]): TableColumn => ({
  name: 'Containers',
  type: 'string',
  description: 'Names of each container in the template.',
  priority: 1,
  cell: (o) =>
    templateContainers(o, path)
      .map((c) => c.name)
      .join(','),
});

export const imagesColumn = (path?: string[]): TableColumn => ({
  name: 'Images',
  type: 'string',
  description: 'Images referenced by each container in the template.',
  priority: 1,
  cell: (o) =>
    templateContainers(o, path)
      .map((c) => c.image)
      .join(','),
});

export const selectorColumn: TableColumn = {
  name: 'Selector',
  type: 'string',
  description:
    'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
  priority: 1,
  cell: (o) => formatLabelSelector(field(o, 'spec', 'selector')),
};
