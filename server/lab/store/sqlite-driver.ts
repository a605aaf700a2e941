import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { Row, SqlDriver } from './driver.ts';

/**
 * node:sqlite behind the async SqlDriver interface. SQLite is synchronous and this process
 * is its only writer, so a transaction is BEGIN…COMMIT on the one connection, serialised by a
 * queue (two interleaved async transactions on one connection would nest).
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly db: DatabaseSync;
  private queue: Promise<unknown> = Promise.resolve();
  private inTransaction = false;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  all(sql: string, params: unknown[] = []): Promise<Row[]> {
    return Promise.resolve(this.db.prepare(sql).all(...(params as SQLInputValue[])) as Row[]);
  }

  run(sql: string, params: unknown[] = []): Promise<number> {
    return Promise.resolve(Number(this.db.prepare(sql).run(...(params as SQLInputValue[])).changes));
  }

  exec(sql: string): Promise<void> {
    this.db.exec(sql);
    return Promise.resolve();
  }

  transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T> {
    // Inside a transaction already (a store method calling another): join it.
    if (this.inTransaction) return work(this);
    const next = this.queue.then(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      this.inTransaction = true;
      try {
        const value = await work(this);
        this.db.exec('COMMIT');
        return value;
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      } finally {
        this.inTransaction = false;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
    return Promise.resolve();
  }
}
