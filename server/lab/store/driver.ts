/** One row as the database returns it (column name → value). */
export type Row = Record<string, unknown>;

/**
 * The little a store needs from a SQL database. Statements use `?` placeholders; the
 * PostgreSQL driver numbers them. Both drivers run the same statements, so the SQL sticks
 * to what SQLite and PostgreSQL share (ON CONFLICT upserts, GREATEST/MAX are not shared).
 */
export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
