import { closeSync, openSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import type { SessionState } from '../../src/contracts/protocol.ts';

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
}

/** Sessions and progress in SQLite (node:sqlite), so a restarted server resumes them. */
export class LabStore {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    // Owner-only from the first byte: it holds every session token. SQLite gives its
    // -wal and -shm files the database file's mode.
    closeSync(openSync(path, 'a', 0o600));
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY, learner TEXT NOT NULL, lab_id TEXT NOT NULL, backend TEXT NOT NULL,
        state TEXT NOT NULL, token TEXT NOT NULL, workspace TEXT NOT NULL,
        created_at INTEGER NOT NULL, last_active INTEGER NOT NULL, error TEXT
      );
      CREATE INDEX IF NOT EXISTS sessions_learner ON sessions(learner);
      CREATE TABLE IF NOT EXISTS progress (
        learner TEXT NOT NULL, lab_id TEXT NOT NULL, exercise_id TEXT NOT NULL,
        passed INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
        hints_shown INTEGER NOT NULL DEFAULT 0, solution_shown INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (learner, lab_id, exercise_id)
      );
      CREATE TABLE IF NOT EXISTS attempts (
        learner TEXT NOT NULL, lab_id TEXT NOT NULL, exercise_id TEXT NOT NULL,
        passed INTEGER NOT NULL, results TEXT NOT NULL, at INTEGER NOT NULL
      );
    `);
    const columns = this.db.prepare('PRAGMA table_info(sessions)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'uid')) this.db.exec('ALTER TABLE sessions ADD COLUMN uid INTEGER');
  }

  private ensureProgress(learner: string, lab: string, exercise: string): void {
    this.db
      .prepare('INSERT OR IGNORE INTO progress (learner, lab_id, exercise_id, updated_at) VALUES (?, ?, ?, ?)')
      .run(learner, lab, exercise, Date.now());
  }

  /** Records a Check: the attempt, and the exercise's progress (passed stays passed). */
  recordAttempt(learner: string, lab: string, exercise: string, passed: boolean, results: unknown): void {
    this.ensureProgress(learner, lab, exercise);
    const now = Date.now();
    this.db
      .prepare('INSERT INTO attempts (learner, lab_id, exercise_id, passed, results, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(learner, lab, exercise, passed ? 1 : 0, JSON.stringify(results), now);
    this.db
      .prepare(
        'UPDATE progress SET attempts = attempts + 1, passed = MAX(passed, ?), updated_at = ? WHERE learner = ? AND lab_id = ? AND exercise_id = ?',
      )
      .run(passed ? 1 : 0, now, learner, lab, exercise);
  }

  /** Unlocks the next hint; returns how many are shown now. */
  showHint(learner: string, lab: string, exercise: string, available: number): number {
    this.ensureProgress(learner, lab, exercise);
    this.db
      .prepare(
        'UPDATE progress SET hints_shown = MIN(hints_shown + 1, ?), updated_at = ? WHERE learner = ? AND lab_id = ? AND exercise_id = ?',
      )
      .run(available, Date.now(), learner, lab, exercise);
    return this.progressFor(learner, lab).find((p) => p.exercise === exercise)?.hintsShown ?? 0;
  }

  recordSolutionShown(learner: string, lab: string, exercise: string): void {
    this.ensureProgress(learner, lab, exercise);
    this.db
      .prepare(
        'UPDATE progress SET solution_shown = 1, updated_at = ? WHERE learner = ? AND lab_id = ? AND exercise_id = ?',
      )
      .run(Date.now(), learner, lab, exercise);
  }

  progressFor(
    learner: string,
    lab?: string,
  ): Array<{
    lab: string;
    exercise: string;
    passed: boolean;
    attempts: number;
    hintsShown: number;
    solutionShown: boolean;
  }> {
    const rows = (
      lab
        ? this.db
            .prepare('SELECT * FROM progress WHERE learner = ? AND lab_id = ? ORDER BY lab_id, exercise_id')
            .all(learner, lab)
        : this.db.prepare('SELECT * FROM progress WHERE learner = ? ORDER BY lab_id, exercise_id').all(learner)
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      lab: String(r.lab_id),
      exercise: String(r.exercise_id),
      passed: Number(r.passed) === 1,
      attempts: Number(r.attempts),
      hintsShown: Number(r.hints_shown),
      solutionShown: Number(r.solution_shown) === 1,
    }));
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
    };
  }

  insert(s: SessionRow): void {
    this.db
      .prepare(
        'INSERT INTO sessions (id, learner, lab_id, backend, state, token, workspace, created_at, last_active, error, uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
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
      );
  }

  setUid(id: string, uid: number): void {
    this.db.prepare('UPDATE sessions SET uid = ? WHERE id = ?').run(uid, id);
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
