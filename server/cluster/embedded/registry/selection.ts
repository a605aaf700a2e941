import { errors } from '../api/status.ts';
import { matchesRequirements, type FieldRequirement, type Requirement } from '../storage/selectors.ts';
import type { KubeObject } from '../storage/types.ts';
import { field } from './printing.ts';
import type { ResourceDef } from './types.ts';

/** Field selectors every resource supports; the rest are per kind (pod strategy's GetAttrs). */
const commonFields = ['metadata.name', 'metadata.namespace'];
const kindFields: Record<string, string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
  ReplicaSet: ['status.replicas'],
  Job: ['status.successful'],
};

/** The value of a selectable field as a string, or undefined when the kind does not support it. */
export function fieldValue(object: KubeObject, path: string): string | undefined {
  switch (path) {
    case 'metadata.name':
      return object.metadata.name ?? '';
    case 'metadata.namespace':
      return object.metadata.namespace ?? '';
  }
  if (!kindFields[object.kind]?.includes(path)) return undefined;
  if (path === 'source') return String(field(object, 'source', 'component') ?? '');
  const value = field(object, ...path.split('.'));
  return value === undefined ? '' : String(value);
}

export interface Selectors {
  labelSelector?: Requirement[];
  fieldSelector?: FieldRequirement[];
}

/**
 * Label and field selectors checked once against the resource and turned into a predicate
 * (storage.SelectionPredicate): lists and watches share it, and an unknown field is a 400
 * before anything is listed or streamed.
 */
export function selectionPredicate(def: ResourceDef, selectors: Selectors): (object: KubeObject) => boolean {
  const fields = selectors.fieldSelector ?? [];
  for (const r of fields) {
    if (!commonFields.includes(r.field) && !kindFields[def.kind]?.includes(r.field)) {
      throw errors.badRequest(`"${r.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    }
  }
  const labels = selectors.labelSelector;
  return (object) =>
    (!labels || matchesRequirements(labels, object.metadata.labels ?? {})) &&
    fields.every((r) => {
      const value = fieldValue(object, r.field);
      return r.operator === '=' ? value === r.value : value !== r.value;
    });
}
