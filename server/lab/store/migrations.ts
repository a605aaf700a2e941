import type { SqlDriver } from './driver.ts';

/**
 * The classroom schema, one numbered step at a time. A step is applied once, in its own
 * transaction, and recorded in schema_migrations; never edit a released step, add one.
 * SQL common to SQLite and PostgreSQL: BIGINT for millisecond times (PostgreSQL's INTEGER is 32-bit).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    // The schema lab servers had before accounts: progress keyed by the anonymous learner cookie.
    // IF NOT EXISTS adopts such a database as it is, rows and all.
    version: 1,
    name: 'anonymous progress',
    sql: `
      CREATE TABLE IF NOT EXISTS progress (
        learner TEXT NOT NULL, lab_id TEXT NOT NULL, exercise_id TEXT NOT NULL,
        passed INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
        hints_shown INTEGER NOT NULL DEFAULT 0, solution_shown INTEGER NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (learner, lab_id, exercise_id)
      );
      CREATE TABLE IF NOT EXISTS attempts (
        learner TEXT NOT NULL, lab_id TEXT NOT NULL, exercise_id TEXT NOT NULL,
        passed INTEGER NOT NULL, results TEXT NOT NULL, at BIGINT NOT NULL
      );`,
  },
  {
    version: 2,
    name: 'accounts and sign-in sessions',
    sql: `
      CREATE INDEX attempts_learner ON attempts (learner, lab_id, exercise_id);
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        email TEXT UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('learner', 'instructor', 'admin')),
        learner_id TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE auth_sessions (
        token_hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX auth_sessions_account ON auth_sessions (account_id);
      CREATE TABLE sign_in_failures (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        window_start BIGINT NOT NULL
      );`,
  },
  {
    version: 3,
    name: 'classes',
    sql: `
      CREATE TABLE classes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        join_code TEXT NOT NULL UNIQUE,
        instructor_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        starts_at BIGINT,
        ends_at BIGINT,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX classes_instructor ON classes (instructor_id);
      CREATE TABLE class_members (
        class_id TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        joined_at BIGINT NOT NULL,
        PRIMARY KEY (class_id, account_id)
      );
      CREATE INDEX class_members_account ON class_members (account_id);`,
  },
  {
    version: 4,
    name: 'certificates',
    sql: `
      CREATE TABLE server_keys (
        name TEXT PRIMARY KEY,
        private_pem TEXT NOT NULL,
        public_pem TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE certificates (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        module TEXT NOT NULL,
        name TEXT NOT NULL,
        issued_at BIGINT NOT NULL,
        revoked_at BIGINT,
        UNIQUE (account_id, module)
      );`,
  },
  {
    version: 5,
    name: 'oidc identities',
    sql: `
      CREATE TABLE oidc_identities (
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (issuer, subject)
      );
      CREATE INDEX oidc_identities_account ON oidc_identities (account_id);`,
  },
  {
    version: 6,
    name: 'applied solutions',
    sql: `ALTER TABLE progress ADD COLUMN solution_applied INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 7,
    name: 'lessons read and quiz answers',
    sql: `
      CREATE TABLE lesson_reads (
        learner TEXT NOT NULL, module TEXT NOT NULL, lesson TEXT NOT NULL,
        read_at BIGINT NOT NULL,
        PRIMARY KEY (learner, module, lesson)
      );
      CREATE TABLE quiz_answers (
        learner TEXT NOT NULL, module TEXT NOT NULL, lesson TEXT NOT NULL, quiz TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        right_answer INTEGER NOT NULL DEFAULT 0,
        right_first_try INTEGER NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (learner, module, lesson, quiz)
      );`,
  },
  {
    version: 8,
    name: 'last quiz answer',
    // The last answer (JSON of QuizAnswer) and its verdict, shown again when the lesson is reopened.
    sql: `
      ALTER TABLE quiz_answers ADD COLUMN last_answer TEXT;
      ALTER TABLE quiz_answers ADD COLUMN last_right INTEGER NOT NULL DEFAULT 0;`,
  },
];

const bookkeeping = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`;

export class SchemaTooNewError extends Error {}

/** One replica migrates at a time; the others wait here, then see the step done (SQLite: BEGIN IMMEDIATE). */
async function lockSchema(tx: SqlDriver): Promise<void> {
  if (tx.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(22022)');
}

async function currentVersion(db: SqlDriver): Promise<number> {
  const [row] = await db.all('SELECT MAX(version) AS version FROM schema_migrations');
  return row?.version === null || row?.version === undefined ? 0 : Number(row.version);
}

/** Applies the pending steps; returns the versions applied. Safe with several replicas starting at once. */
export async function migrate(db: SqlDriver, steps: Migration[] = migrations): Promise<number[]> {
  // Even CREATE TABLE IF NOT EXISTS races on PostgreSQL: under the lock too.
  await db.transaction(async (tx) => {
    await lockSchema(tx);
    await tx.exec(bookkeeping);
  });
  const known = Math.max(0, ...steps.map((m) => m.version));
  const applied: number[] = [];
  for (const step of steps) {
    const done = await db.transaction(async (tx) => {
      await lockSchema(tx);
      const version = await currentVersion(tx);
      if (version > known)
        throw new SchemaTooNewError(
          `The database has schema version ${version}; this lab server knows up to ${known}. Upgrade the lab server.`,
        );
      if (version >= step.version) return false;
      await tx.exec(step.sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        step.version,
        step.name,
        Date.now(),
      ]);
      return true;
    });
    if (done) applied.push(step.version);
  }
  return applied;
}

export { currentVersion as schemaVersion };
