import { createdAtColumn, nameColumnDescription } from '../registry/printing.ts';
import type { ResourceDef, TableColumn } from '../registry/types.ts';
import type { KubeObject } from '../storage/types.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const nameColumn: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: nameColumnDescription,
  priority: 0,
  cell: (o) => o.metadata.name ?? '',
};

function columnsOf(def: ResourceDef): TableColumn[] {
  return [nameColumn, ...(def.strategy.columns ?? [createdAtColumn])];
}

function rowObject(object: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return object;
  const metadata = { ...object.metadata };
  delete metadata.managedFields;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
}

/** A meta.k8s.io/v1 Table with the same columns kube-apiserver prints for the resource. */
export function toTable(
  def: ResourceDef,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject,
  withColumns = true,
) {
  const columns = columnsOf(def);
  const now = Date.now();
  const table: Record<string, unknown> = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
  };
  if (withColumns) {
    table.columnDefinitions = columns.map((c) => {
      const column: Record<string, unknown> = {
        name: c.name,
        type: c.type,
        format: c.format ?? '',
        description: c.description,
        priority: c.priority,
      };
      return column;
    });
  }
  table.rows = objects.map((o) => {
    const row: Record<string, unknown> = { cells: columns.map((c) => c.cell(o, now)) };
    const object = rowObject(o, include);
    if (object !== undefined) row.object = object;
    return row;
  });
  return table;
}
