import type { LabStore } from '../store.ts';
import { PostgresDriver } from './postgres-driver.ts';
import { SqlClassroomStore } from './sql-store.ts';
import type { ClassroomStore } from './types.ts';

export function isPostgresUrl(database: string | undefined): database is string {
  return database !== undefined && /^postgres(ql)?:\/\//.test(database);
}

/**
 * The classroom store the server's `--database` names: a postgres:// URL (replicas sharing
 * accounts, classes and progress), or by default the lab server's own SQLite file.
 */
export function openClassroomStore(database: string | undefined, local: LabStore): Promise<ClassroomStore> {
  if (isPostgresUrl(database)) return SqlClassroomStore.open(new PostgresDriver(database));
  return SqlClassroomStore.open(local.sqlDriver());
}
