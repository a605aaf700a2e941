import pg from 'pg';
import type { Row, SqlDriver } from './driver.ts';

/** `?` placeholders → `$1, $2…` (the store's SQL has no `?` inside string literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** BIGINT columns come back from pg as strings; the store's numbers fit in a double. */
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

class PostgresQueries {
  readonly dialect = 'postgres' as const;
  protected readonly target: Queryable;

  constructor(target: Queryable) {
    this.target = target;
  }

  async all(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.target.query(numberPlaceholders(sql), params)).rows as Row[];
  }

  async run(sql: string, params: unknown[] = []): Promise<number> {
    return (await this.target.query(numberPlaceholders(sql), params)).rowCount ?? 0;
  }

  async exec(sql: string): Promise<void> {
    await this.target.query(sql);
  }
}

/** A transaction's connection: nested transactions join it. */
class PostgresTransaction extends PostgresQueries implements SqlDriver {
  transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return work(this);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** PostgreSQL through a pg connection pool: several lab-server replicas can share one database. */
export class PostgresDriver extends PostgresQueries implements SqlDriver {
  private readonly pool: pg.Pool;

  constructor(connectionString: string, options: { max?: number } = {}) {
    const pool = new pg.Pool({ connectionString, max: options.max ?? 5 });
    // An idle connection the server dropped must not crash the lab server.
    pool.on('error', (error) =>
      console.error(JSON.stringify({ level: 'error', msg: 'postgres', error: String(error) })),
    );
    super(pool);
    this.pool = pool;
  }

  async transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const value = await work(new PostgresTransaction(client));
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
