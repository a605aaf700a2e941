import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredEvent } from './store.ts';
import type { KubeObject } from './types.ts';

export interface PersistedState {
  version: 1;
  revision: number;
  items: Array<{ resource: string; object: KubeObject }>;
}

const fileName = 'cluster-state.json';
const journalRe = /^journal-(\d+)\.jsonl$/;

/** One line of the write-ahead journal: a stored object, or a deleted key. */
type JournalLine =
  { rv: number; r: string; o: KubeObject } | { rv: number; r: string; d: { namespace: string; name: string } };

const keyOf = (resource: string, namespace: string, name: string) => `${resource}\u0000${namespace}\u0000${name}`;

async function journals(dir: string): Promise<Array<{ start: number; path: string }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => ({ m: journalRe.exec(n), n }))
    .filter((x) => x.m)
    .map((x) => ({ start: Number(x.m![1]), path: join(dir, x.n) }))
    .sort((a, b) => a.start - b.start);
}

/**
 * Reads a cluster's saved objects: the last snapshot, then every journaled write after it
 * (a write acknowledged just before the server was killed is in the journal). Undefined
 * when the cluster has no saved state yet.
 */
export async function loadState(dir: string): Promise<PersistedState | undefined> {
  let state: PersistedState | undefined;
  try {
    state = JSON.parse(await readFile(join(dir, fileName), 'utf8')) as PersistedState;
    if (state.version !== 1 || !Array.isArray(state.items))
      throw new Error(`${join(dir, fileName)}: unsupported state file`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const files = await journals(dir);
  if (!state && files.length === 0) return undefined;
  const items = new Map<string, { resource: string; object: KubeObject }>();
  for (const item of state?.items ?? [])
    items.set(keyOf(item.resource, item.object.metadata.namespace ?? '', item.object.metadata.name ?? ''), item);
  let revision = state?.revision ?? 1;
  for (const file of files) {
    const lines = (await readFile(file.path, 'utf8')).split('\n');
    for (const text of lines) {
      if (!text) continue;
      let line: JournalLine;
      try {
        line = JSON.parse(text) as JournalLine;
      } catch {
        continue; // the last line of a killed server may be cut short; it was never acknowledged
      }
      if (line.rv <= (state?.revision ?? 0)) continue;
      if ('o' in line)
        items.set(keyOf(line.r, line.o.metadata.namespace ?? '', line.o.metadata.name ?? ''), {
          resource: line.r,
          object: line.o,
        });
      else items.delete(keyOf(line.r, line.d.namespace, line.d.name));
      revision = Math.max(revision, line.rv);
    }
  }
  return { version: 1, revision, items: [...items.values()] };
}

/** Writes atomically (temp file then rename), so a killed server never leaves half a file. */
export async function saveState(dir: string, state: PersistedState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const target = join(dir, fileName);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(state));
  await rename(temp, target);
}

/**
 * The write-ahead journal of a cluster: every stored change is appended (synchronously,
 * before the API answers) and survives the process being killed. Snapshots compact it.
 */
export class Journal {
  private readonly dir: string;
  private fd?: number;
  private bytes = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Bytes appended since the last snapshot (snapshots are taken when this grows). */
  get size(): number {
    return this.bytes;
  }

  /** Starts a new journal file for the writes after `revision` (called when a snapshot is taken). */
  rotate(revision: number): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = openSync(join(this.dir, `journal-${revision}.jsonl`), 'a', 0o600);
    this.bytes = 0;
  }

  append(event: StoredEvent): void {
    if (this.fd === undefined) return;
    const line: JournalLine =
      event.type === 'DELETED'
        ? {
            rv: event.resourceVersion,
            r: event.resource,
            d: { namespace: event.object.metadata.namespace ?? '', name: event.object.metadata.name ?? '' },
          }
        : { rv: event.resourceVersion, r: event.resource, o: event.object };
    const text = JSON.stringify(line) + '\n';
    writeSync(this.fd, text);
    this.bytes += text.length;
  }

  /** Once a snapshot at `revision` is on disk, the journals before it are no longer needed. */
  async dropBefore(revision: number): Promise<void> {
    for (const file of await journals(this.dir)) if (file.start < revision) await rm(file.path, { force: true });
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
