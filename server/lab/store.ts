import { DatabaseSync } from 'node:sqlite';
import type { SessionState } from './protocol.ts';

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
}

/** Sessions and progress in SQLite (node:sqlite), so a restarted server resumes them. */
export class LabStore {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY, learner TEXT NOT NULL, lab_id TEXT NOT NULL, backend TEXT NOT NULL,
        state TEXT NOT NULL, token TEXT NOT NULL, workspace TEXT NOT NULL,
        created_at INTEGER NOT NULL, last_active INTEGER NOT NULL, error TEXT
      );
      CREATE INDEX IF NOT EXISTS sessions_learner ON sessions(learner);
    `);
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
    };
  }

  insert(s: SessionRow): void {
    this.db
      .prepare(
        'INSERT INTO sessions (id, learner, lab_id, backend, state, token, workspace, created_at, last_active, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(s.id, s.learner, s.labId, s.backend, s.state, s.token, s.workspace, s.createdAt, s.lastActive, s.error);
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

  activeFor(learner: string): SessionRow[] {
    return this.active().filter((s) => s.learner === learner);
  }

  close(): void {
    this.db.close();
  }
}
