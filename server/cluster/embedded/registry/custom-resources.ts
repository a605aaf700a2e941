import type { KubeObject } from '../storage/types.ts';
import { evaluateJsonPath } from '../../../kube/jsonpath.ts';
import { ageColumn, asArray, field, since } from './printing.ts';
import { standardVerbs, type ResourceDef, type TableColumn } from './types.ts';

type Obj = Record<string, unknown>;

/** Structural-schema defaulting: fills `default` values under objects that are present. */
export function applySchemaDefaults(value: unknown, schema: Obj | undefined): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) applySchemaDefaults(item, schema.items as Obj | undefined);
    return;
  }
  const obj = value as Obj;
  for (const [key, child] of Object.entries((schema.properties as Record<string, Obj>) ?? {})) {
    if (obj[key] === undefined && child.default !== undefined) obj[key] = structuredClone(child.default);
    if (key !== 'metadata') applySchemaDefaults(obj[key], child);
  }
}

function columnFrom(def: Obj): TableColumn {
  const type = String(def.type ?? 'string') as TableColumn['type'];
  const path = String(def.jsonPath ?? '');
  return {
    name: String(def.name ?? ''),
    type: type === 'date' ? 'date' : type,
    description: String(def.description ?? ''),
    priority: Number(def.priority ?? 0) > 0 ? 1 : 0,
    cell: (o, now) => {
      const values = evaluateJsonPath(o, path);
      if (values.length === 0) return type === 'date' ? '<unknown>' : null;
      if (type === 'date') return since(String(values[0]), now);
      if (values.length === 1 && typeof values[0] !== 'object') return values[0];
      return values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
    },
  };
}

/** One ResourceDef per served version of a CustomResourceDefinition. */
export function resourcesFromCrd(crd: KubeObject): ResourceDef[] {
  const spec = (crd.spec ?? {}) as Obj;
  const names = (spec.names ?? {}) as Obj;
  const group = String(spec.group ?? '');
  const kind = String(names.kind ?? '');
  const plural = String(names.plural ?? '');
  return asArray(spec.versions)
    .filter((v) => v.served === true)
    .map((version) => {
      const printerColumns = asArray(version.additionalPrinterColumns);
      const columns = printerColumns.length ? printerColumns.map(columnFrom) : [ageColumn];
      const subresources: ResourceDef['subresources'] = {};
      if (field(version, 'subresources', 'status')) subresources.status = { kind, verbs: ['get', 'patch', 'update'] };
      if (field(version, 'subresources', 'scale')) {
        subresources.scale = { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };
      }
      const def: ResourceDef = {
        group,
        version: String(version.name),
        kind,
        plural,
        singular: String(names.singular ?? kind.toLowerCase()),
        listKind: String(names.listKind ?? `${kind}List`),
        namespaced: spec.scope !== 'Cluster',
        shortNames: asArray<string>(names.shortNames),
        categories: asArray<string>(names.categories),
        verbs: standardVerbs,
        subresources,
        strategy: {
          defaults: (object) =>
            applySchemaDefaults(object, field(version, 'schema', 'openAPIV3Schema') as Obj | undefined),
          hasStatus: Boolean(subresources.status),
          generationFields: subresources.status ? undefined : [],
          columns,
        },
        crd: {
          name: crd.metadata.name ?? '',
          uid: crd.metadata.uid ?? '',
          resourceVersion: crd.metadata.resourceVersion ?? '',
          schema: field(version, 'schema', 'openAPIV3Schema') as Obj | undefined,
        },
      };
      return def;
    });
}
