import { closeSync, openSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import type { SessionState } from '../../src/contracts/protocol.ts';
import { SqliteDriver } from './store/sqlite-driver.ts';

export interface SessionRow {
  id: string;
  learner: string;
  labId: string;
  backend: string;
  state: SessionState;
  token: string;
  workspace: string;
  createdAt: number;
  lastActive: number;
  error: string | null;
  /** The unprivileged uid (and gid) the session's processes run as; null in single-learner mode. */
  uid: number | null;
  /** Times the learner extended the session's lifetime (kept across restarts, so the cap holds). */
  extensions: number;
}

/**
 * This replica's lab sessions in SQLite (node:sqlite), so a restarted server resumes them. Sessions
 * live where their workspaces are; accounts, classes and progress are the classroom store's
 * (store/), on this same file by default.
 */
export class LabStore {
  private readonly db: DatabaseSync;
  private driver?: SqliteDriver;

  constructor(path: string) {
    // Owner-only from the first byte: it holds every session token. SQLite gives its
    // -wal and -shm files the database file's mode.
    closeSync(openSync(path, 'a', 0o600));
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY, learner TEXT NOT NULL, lab_id TEXT NOT NULL, backend TEXT NOT NULL,
        state TEXT NOT NULL, token TEXT NOT NULL, workspace TEXT NOT NULL,
        created_at INTEGER NOT NULL, last_active INTEGER NOT NULL, error TEXT
      );
      CREATE INDEX IF NOT EXISTS sessions_learner ON sessions(learner);
    `);
    const columns = this.db.prepare('PRAGMA table_info(sessions)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'uid')) this.db.exec('ALTER TABLE sessions ADD COLUMN uid INTEGER');
    if (!columns.some((c) => c.name === 'extensions'))
      this.db.exec('ALTER TABLE sessions ADD COLUMN extensions INTEGER NOT NULL DEFAULT 0');
  }

  /** The classroom store's SQLite driver on this same connection (one connection: no lock fights). */
  sqlDriver(): SqliteDriver {
    return (this.driver ??= new SqliteDriver(this.db));
  }

  private row(r: Record<string, unknown> | undefined): SessionRow | undefined {
    if (!r) return undefined;
    return {
      id: String(r.id),
      learner: String(r.learner),
      labId: String(r.lab_id),
      backend: String(r.backend),
      state: String(r.state) as SessionState,
      token: String(r.token),
      workspace: String(r.workspace),
      createdAt: Number(r.created_at),
      lastActive: Number(r.last_active),
      error: r.error === null || r.error === undefined ? null : String(r.error),
      uid: r.uid === null || r.uid === undefined ? null : Number(r.uid),
      extensions: Number(r.extensions ?? 0),
    };
  }

  insert(s: SessionRow): void {
    this.db
      .prepare(
        'INSERT INTO sessions (id, learner, lab_id, backend, state, token, workspace, created_at, last_active, error, uid, extensions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        s.id,
        s.learner,
        s.labId,
        s.backend,
        s.state,
        s.token,
        s.workspace,
        s.createdAt,
        s.lastActive,
        s.error,
        s.uid,
        s.extensions,
      );
  }

  setUid(id: string, uid: number): void {
    this.db.prepare('UPDATE sessions SET uid = ? WHERE id = ?').run(uid, id);
  }

  setExtensions(id: string, extensions: number): void {
    this.db.prepare('UPDATE sessions SET extensions = ? WHERE id = ?').run(extensions, id);
  }

  get(id: string): SessionRow | undefined {
    return this.row(
      this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as Record<string, unknown> | undefined,
    );
  }

  setState(id: string, state: SessionState, error: string | null = null): void {
    this.db.prepare('UPDATE sessions SET state = ?, error = ? WHERE id = ?').run(state, error, id);
  }

  touch(id: string, at = Date.now()): void {
    this.db.prepare('UPDATE sessions SET last_active = ? WHERE id = ?').run(at, id);
  }

  /** Sessions not ended, oldest first. */
  active(): SessionRow[] {
    return (
      this.db
        .prepare("SELECT * FROM sessions WHERE state IN ('creating', 'ready') ORDER BY created_at")
        .all() as Record<string, unknown>[]
    ).map((r) => this.row(r)!);
  }

  /** Time the learner's sessions on this server were in use (created → last activity), in ms. */
  timeSpent(learner: string): number {
    const row = this.db
      .prepare('SELECT COALESCE(SUM(last_active - created_at), 0) AS ms FROM sessions WHERE learner = ?')
      .get(learner) as { ms: number | bigint };
    return Number(row.ms);
  }

  activeFor(learner: string): SessionRow[] {
    return this.active().filter((s) => s.learner === learner);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
