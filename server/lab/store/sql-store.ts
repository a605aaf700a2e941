import { randomBytes, randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { LessonProgress, QuizAnswer, QuizProgress } from '../../../src/contracts/lessons.ts';
import type { ProgressEntry } from '../../../src/contracts/protocol.ts';
import type { Row, SqlDriver } from './driver.ts';
import { migrate } from './migrations.ts';
import {
  AccountConflictError,
  type Account,
  type AuthSession,
  type Certificate,
  type ClassInfo,
  type ClassroomStore,
  type NewAccount,
  type Role,
  type StoredQuizAnswer,
} from './types.ts';

/** A stored last answer, or undefined for none (rows from before it was kept) or anything unreadable. */
function storedAnswer(value: unknown): QuizAnswer | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { options, text } = parsed as { options?: unknown; text?: unknown };
    if (Array.isArray(options) && options.every((o) => Number.isInteger(o))) return { options: options as number[] };
    if (typeof text === 'string') return { text };
  } catch {
    /* not JSON: nothing to show */
  }
  return undefined;
}

function account(r: Row): Account {
  return {
    id: String(r.id),
    username: String(r.username),
    email: r.email === null || r.email === undefined ? null : String(r.email),
    role: String(r.role) as Role,
    learnerId: String(r.learner_id),
    createdAt: Number(r.created_at),
  };
}

function progressEntry(r: Row): ProgressEntry {
  return {
    lab: String(r.lab_id),
    exercise: String(r.exercise_id),
    passed: Number(r.passed) === 1,
    attempts: Number(r.attempts),
    hintsShown: Number(r.hints_shown),
    solutionShown: Number(r.solution_shown) === 1,
    ...(Number(r.solution_applied) === 1 ? { solutionApplied: true } : {}),
  };
}

function classInfo(r: Row): ClassInfo {
  const time = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.id),
    name: String(r.name),
    joinCode: String(r.join_code),
    instructorId: String(r.instructor_id),
    startsAt: time(r.starts_at),
    endsAt: time(r.ends_at),
    createdAt: Number(r.created_at),
  };
}

function certificate(r: Row): Certificate {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    module: String(r.module),
    name: String(r.name),
    issuedAt: Number(r.issued_at),
    revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : Number(r.revoked_at),
  };
}

/** Join-code letters: no 0/O, 1/I/L, so a code read aloud or off a slide is typed right. */
const codeAlphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** A unique-constraint violation, named the same way by both databases' messages. */
function uniqueViolation(error: unknown): 'username' | 'email' | undefined {
  const text = String((error as { message?: string }).message ?? error);
  if (!/unique/i.test(text)) return undefined;
  if (/email/i.test(text)) return 'email';
  return 'username';
}

/** The one ClassroomStore: the same SQL on SQLite and PostgreSQL, through a SqlDriver. */
export class SqlClassroomStore implements ClassroomStore {
  private readonly db: SqlDriver;
  private readonly changes = new EventEmitter();

  private constructor(db: SqlDriver) {
    this.db = db;
  }

  /** Opens the store on a driver, migrating its schema first. */
  static async open(db: SqlDriver): Promise<SqlClassroomStore> {
    await migrate(db);
    return new SqlClassroomStore(db);
  }

  get dialect(): 'sqlite' | 'postgres' {
    return this.db.dialect;
  }

  // --- progress -------------------------------------------------------------

  onProgress(listener: (learnerId: string) => void): () => void {
    this.changes.on('progress', listener);
    return () => this.changes.off('progress', listener);
  }

  private changed(learner: string): void {
    this.changes.emit('progress', learner);
  }

  private async ensureProgress(db: SqlDriver, learner: string, lab: string, exercise: string): Promise<void> {
    await db.run(
      'INSERT INTO progress (learner, lab_id, exercise_id, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [learner, lab, exercise, Date.now()],
    );
  }

  async recordAttempt(
    learner: string,
    lab: string,
    exercise: string,
    passed: boolean,
    results: unknown,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.ensureProgress(tx, learner, lab, exercise);
      const now = Date.now();
      await tx.run(
        'INSERT INTO attempts (learner, lab_id, exercise_id, passed, results, at) VALUES (?, ?, ?, ?, ?, ?)',
        [learner, lab, exercise, passed ? 1 : 0, JSON.stringify(results), now],
      );
      // Passed stays passed.
      await tx.run(
        'UPDATE progress SET attempts = attempts + 1, passed = CASE WHEN ? = 1 THEN 1 ELSE passed END, updated_at = ? WHERE learner = ? AND lab_id = ? AND exercise_id = ?',
        [passed ? 1 : 0, now, learner, lab, exercise],
      );
    });
    this.changed(learner);
  }

  async showHint(learner: string, lab: string, exercise: string, available: number): Promise<number> {
    const shown = await this.db.transaction(async (tx) => {
      await this.ensureProgress(tx, learner, lab, exercise);
      await tx.run(
        'UPDATE progress SET hints_shown = CASE WHEN hints_shown < ? THEN hints_shown + 1 ELSE hints_shown END, updated_at = ? WHERE learner = ? AND lab_id = ? AND exercise_id = ?',
        [available, Date.now(), learner, lab, exercise],
      );
      const [row] = await tx.all(
        'SELECT hints_shown FROM progress WHERE learner = ? AND lab_id = ? AND exercise_id = ?',
        [learner, lab, exercise],
      );
      return Number(row?.hints_shown ?? 0);
    });
    this.changed(learner);
    return shown;
  }

  async recordSolutionShown(learner: string, lab: string, exercise: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.ensureProgress(tx, learner, lab, exercise);
      await tx.run(
        'UPDATE progress SET solution_shown = 1, updated_at = ? WHERE learner = ? AND lab_id = ? AND exercise_id = ?',
        [Date.now(), learner, lab, exercise],
      );
    });
    this.changed(learner);
  }

  async recordSolutionApplied(learner: string, lab: string, exercise: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.ensureProgress(tx, learner, lab, exercise);
      await tx.run(
        'UPDATE progress SET solution_shown = 1, solution_applied = 1, updated_at = ? WHERE learner = ? AND lab_id = ? AND exercise_id = ?',
        [Date.now(), learner, lab, exercise],
      );
    });
    this.changed(learner);
  }

  async progressFor(learner: string, lab?: string): Promise<ProgressEntry[]> {
    const rows = lab
      ? await this.db.all('SELECT * FROM progress WHERE learner = ? AND lab_id = ? ORDER BY lab_id, exercise_id', [
          learner,
          lab,
        ])
      : await this.db.all('SELECT * FROM progress WHERE learner = ? ORDER BY lab_id, exercise_id', [learner]);
    return rows.map(progressEntry);
  }

  mergeProgress(from: string, into: string): Promise<void> {
    if (from === into) return Promise.resolve();
    return this.db.transaction(async (tx) => {
      for (const r of await tx.all('SELECT * FROM progress WHERE learner = ?', [from])) {
        await this.ensureProgress(tx, into, String(r.lab_id), String(r.exercise_id));
        await tx.run(
          `UPDATE progress SET attempts = attempts + ?,
             passed = CASE WHEN ? = 1 THEN 1 ELSE passed END,
             hints_shown = CASE WHEN hints_shown < ? THEN ? ELSE hints_shown END,
             solution_shown = CASE WHEN ? = 1 THEN 1 ELSE solution_shown END,
             solution_applied = CASE WHEN ? = 1 THEN 1 ELSE solution_applied END,
             updated_at = ?
           WHERE learner = ? AND lab_id = ? AND exercise_id = ?`,
          [
            Number(r.attempts),
            Number(r.passed),
            Number(r.hints_shown),
            Number(r.hints_shown),
            Number(r.solution_shown),
            Number(r.solution_applied),
            Date.now(),
            into,
            r.lab_id,
            r.exercise_id,
          ],
        );
      }
      await tx.run('DELETE FROM progress WHERE learner = ?', [from]);
      await tx.run('UPDATE attempts SET learner = ? WHERE learner = ?', [into, from]);
      await this.mergeLessons(tx, from, into);
    });
  }

  // --- lessons and quizzes --------------------------------------------------

  private async mergeLessons(tx: SqlDriver, from: string, into: string): Promise<void> {
    await tx.run(
      `INSERT INTO lesson_reads (learner, module, lesson, read_at)
         SELECT ?, module, lesson, read_at FROM lesson_reads WHERE learner = ? ON CONFLICT DO NOTHING`,
      [into, from],
    );
    await tx.run('DELETE FROM lesson_reads WHERE learner = ?', [from]);
    // A quiz both ids answered keeps the account's own first try.
    for (const r of await tx.all('SELECT * FROM quiz_answers WHERE learner = ?', [from])) {
      await this.ensureQuiz(tx, into, String(r.module), String(r.lesson), String(r.quiz));
      await tx.run(
        `UPDATE quiz_answers SET
           right_first_try = CASE WHEN attempts = 0 THEN ? ELSE right_first_try END,
           attempts = attempts + ?,
           right_answer = CASE WHEN ? = 1 THEN 1 ELSE right_answer END,
           updated_at = ?
         WHERE learner = ? AND module = ? AND lesson = ? AND quiz = ?`,
        [
          Number(r.right_first_try),
          Number(r.attempts),
          Number(r.right_answer),
          Date.now(),
          into,
          r.module,
          r.lesson,
          r.quiz,
        ],
      );
      // The claimed browser's last answer is the newest one this learner gave.
      if (r.last_answer !== null && r.last_answer !== undefined)
        await tx.run(
          'UPDATE quiz_answers SET last_answer = ?, last_right = ? WHERE learner = ? AND module = ? AND lesson = ? AND quiz = ?',
          [String(r.last_answer), Number(r.last_right), into, r.module, r.lesson, r.quiz],
        );
    }
    await tx.run('DELETE FROM quiz_answers WHERE learner = ?', [from]);
  }

  private async ensureQuiz(db: SqlDriver, learner: string, module: string, lesson: string, quiz: string) {
    await db.run(
      'INSERT INTO quiz_answers (learner, module, lesson, quiz, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [learner, module, lesson, quiz, Date.now()],
    );
  }

  async recordLessonRead(learner: string, module: string, lesson: string): Promise<void> {
    const added = await this.db.run(
      'INSERT INTO lesson_reads (learner, module, lesson, read_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [learner, module, lesson, Date.now()],
    );
    if (added) this.changed(learner);
  }

  async recordQuizAnswer(
    learner: string,
    module: string,
    lesson: string,
    quiz: string,
    right: boolean,
    answer?: QuizAnswer,
  ) {
    await this.db.transaction(async (tx) => {
      await this.ensureQuiz(tx, learner, module, lesson, quiz);
      // SET reads the row as it was: attempts = 0 means this is the first answer. Right stays right.
      await tx.run(
        `UPDATE quiz_answers SET
           right_first_try = CASE WHEN attempts = 0 AND ? = 1 THEN 1 ELSE right_first_try END,
           right_answer = CASE WHEN ? = 1 THEN 1 ELSE right_answer END,
           attempts = attempts + 1,
           last_answer = ?,
           last_right = ?,
           updated_at = ?
         WHERE learner = ? AND module = ? AND lesson = ? AND quiz = ?`,
        [
          right ? 1 : 0,
          right ? 1 : 0,
          answer ? JSON.stringify(answer) : null,
          right ? 1 : 0,
          Date.now(),
          learner,
          module,
          lesson,
          quiz,
        ],
      );
    });
    this.changed(learner);
  }

  async lastAnswers(learner: string, module: string, lesson: string): Promise<StoredQuizAnswer[]> {
    const rows = await this.db.all(
      'SELECT quiz, last_answer, last_right FROM quiz_answers WHERE learner = ? AND module = ? AND lesson = ? ORDER BY quiz',
      [learner, module, lesson],
    );
    const found: StoredQuizAnswer[] = [];
    for (const r of rows) {
      const answer = storedAnswer(r.last_answer);
      if (answer) found.push({ quiz: String(r.quiz), answer, right: Number(r.last_right) === 1 });
    }
    return found;
  }

  async lessonsReadBy(learner: string): Promise<LessonProgress[]> {
    const rows = await this.db.all('SELECT * FROM lesson_reads WHERE learner = ? ORDER BY module, lesson', [learner]);
    return rows.map((r) => ({ module: String(r.module), lesson: String(r.lesson), readAt: Number(r.read_at) }));
  }

  async quizzesOf(learner: string): Promise<QuizProgress[]> {
    const rows = await this.db.all('SELECT * FROM quiz_answers WHERE learner = ? ORDER BY module, lesson, quiz', [
      learner,
    ]);
    return rows.map((r) => ({
      module: String(r.module),
      lesson: String(r.lesson),
      quiz: String(r.quiz),
      attempts: Number(r.attempts),
      right: Number(r.right_answer) === 1,
      rightFirstTry: Number(r.right_first_try) === 1,
    }));
  }

  // --- accounts -------------------------------------------------------------

  async createAccount(input: NewAccount): Promise<Account> {
    const id = randomBytes(12).toString('base64url');
    const email = input.email ? input.email.trim().toLowerCase() : null;
    const createdAt = Date.now();
    try {
      await this.db.run(
        'INSERT INTO accounts (id, username, email, password_hash, role, learner_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [id, input.username.trim().toLowerCase(), email, input.passwordHash, input.role, input.learnerId, createdAt],
      );
    } catch (error) {
      const field = uniqueViolation(error);
      if (field && /learner_id/i.test(String(error))) throw error;
      if (field) throw new AccountConflictError(field);
      throw error;
    }
    return (await this.accountById(id))!;
  }

  async accountByOidc(issuer: string, subject: string): Promise<Account | undefined> {
    const [row] = await this.db.all(
      'SELECT a.* FROM oidc_identities o JOIN accounts a ON a.id = o.account_id WHERE o.issuer = ? AND o.subject = ?',
      [issuer, subject],
    );
    return row ? account(row) : undefined;
  }

  async createOidcAccount(issuer: string, subject: string, input: NewAccount): Promise<Account> {
    try {
      return await this.db.transaction(async (tx) => {
        const created = await new SqlClassroomStore(tx).createAccount(input);
        await tx.run('INSERT INTO oidc_identities (issuer, subject, account_id, created_at) VALUES (?, ?, ?, ?)', [
          issuer,
          subject,
          created.id,
          Date.now(),
        ]);
        return created;
      });
    } catch (error) {
      const linked = await this.accountByOidc(issuer, subject);
      if (linked) return linked;
      throw error;
    }
  }

  async accountByLogin(login: string): Promise<(Account & { passwordHash: string }) | undefined> {
    const key = login.trim().toLowerCase();
    const [row] = await this.db.all('SELECT * FROM accounts WHERE username = ? OR email = ?', [key, key]);
    return row ? { ...account(row), passwordHash: String(row.password_hash) } : undefined;
  }

  async accountById(id: string): Promise<Account | undefined> {
    const [row] = await this.db.all('SELECT * FROM accounts WHERE id = ?', [id]);
    return row ? account(row) : undefined;
  }

  async accountByLearnerId(learnerId: string): Promise<Account | undefined> {
    const [row] = await this.db.all('SELECT * FROM accounts WHERE learner_id = ?', [learnerId]);
    return row ? account(row) : undefined;
  }

  async setRole(id: string, role: Role): Promise<void> {
    await this.db.run('UPDATE accounts SET role = ? WHERE id = ?', [role, id]);
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE accounts SET password_hash = ? WHERE id = ?', [passwordHash, id]);
      // A new password signs every other browser out.
      await tx.run('DELETE FROM auth_sessions WHERE account_id = ?', [id]);
    });
  }

  deleteAccount(id: string): Promise<void> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.all('SELECT learner_id FROM accounts WHERE id = ?', [id]);
      if (!row) return;
      await tx.run('DELETE FROM auth_sessions WHERE account_id = ?', [id]);
      await tx.run('DELETE FROM certificates WHERE account_id = ?', [id]);
      await tx.run('DELETE FROM oidc_identities WHERE account_id = ?', [id]);
      await tx.run('DELETE FROM class_members WHERE account_id = ?', [id]);
      await tx.run('DELETE FROM class_members WHERE class_id IN (SELECT id FROM classes WHERE instructor_id = ?)', [
        id,
      ]);
      await tx.run('DELETE FROM classes WHERE instructor_id = ?', [id]);
      await tx.run('DELETE FROM progress WHERE learner = ?', [row.learner_id]);
      await tx.run('DELETE FROM attempts WHERE learner = ?', [row.learner_id]);
      await tx.run('DELETE FROM lesson_reads WHERE learner = ?', [row.learner_id]);
      await tx.run('DELETE FROM quiz_answers WHERE learner = ?', [row.learner_id]);
      await tx.run('DELETE FROM accounts WHERE id = ?', [id]);
    });
  }

  async createAuthSession(tokenHash: string, accountId: string, csrfToken: string, expiresAt: number): Promise<void> {
    await this.db.run(
      'INSERT INTO auth_sessions (token_hash, account_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      [tokenHash, accountId, csrfToken, Date.now(), expiresAt],
    );
  }

  async authSession(tokenHash: string, now = Date.now()): Promise<AuthSession | undefined> {
    const [row] = await this.db.all(
      'SELECT a.*, s.csrf_token, s.expires_at FROM auth_sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?',
      [tokenHash],
    );
    if (!row) return undefined;
    if (Number(row.expires_at) <= now) {
      await this.deleteAuthSession(tokenHash);
      return undefined;
    }
    return { account: account(row), csrfToken: String(row.csrf_token), expiresAt: Number(row.expires_at) };
  }

  async deleteAuthSession(tokenHash: string): Promise<void> {
    await this.db.run('DELETE FROM auth_sessions WHERE token_hash = ?', [tokenHash]);
  }

  noteSignInFailure(key: string, windowMs: number, now = Date.now()): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO sign_in_failures (key, failures, window_start) VALUES (?, 0, ?) ON CONFLICT (key) DO UPDATE
           SET failures = CASE WHEN sign_in_failures.window_start <= ? THEN 0 ELSE sign_in_failures.failures END,
               window_start = CASE WHEN sign_in_failures.window_start <= ? THEN ? ELSE sign_in_failures.window_start END`,
        [key, now, now - windowMs, now - windowMs, now],
      );
      await tx.run('UPDATE sign_in_failures SET failures = failures + 1 WHERE key = ?', [key]);
      const [row] = await tx.all('SELECT failures FROM sign_in_failures WHERE key = ?', [key]);
      return Number(row?.failures ?? 0);
    });
  }

  async signInFailures(key: string, windowMs: number, now = Date.now()): Promise<number> {
    const [row] = await this.db.all('SELECT failures, window_start FROM sign_in_failures WHERE key = ?', [key]);
    if (!row || Number(row.window_start) <= now - windowMs) return 0;
    return Number(row.failures);
  }

  async clearSignInFailures(key: string): Promise<void> {
    await this.db.run('DELETE FROM sign_in_failures WHERE key = ?', [key]);
  }

  // --- classes --------------------------------------------------------------

  async createClass(input: {
    name: string;
    instructorId: string;
    startsAt?: number | null;
    endsAt?: number | null;
  }): Promise<ClassInfo> {
    const id = randomBytes(12).toString('base64url');
    for (let tries = 0; ; tries++) {
      const code = Array.from({ length: 8 }, () => codeAlphabet[randomInt(codeAlphabet.length)]).join('');
      try {
        await this.db.run(
          'INSERT INTO classes (id, name, join_code, instructor_id, starts_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [id, input.name, code, input.instructorId, input.startsAt ?? null, input.endsAt ?? null, Date.now()],
        );
        return (await this.classById(id))!;
      } catch (error) {
        // 31^8 codes: a clash is rare; another draw settles it.
        if (!uniqueViolation(error) || tries >= 5) throw error;
      }
    }
  }

  async classById(id: string): Promise<ClassInfo | undefined> {
    const [row] = await this.db.all('SELECT * FROM classes WHERE id = ?', [id]);
    return row ? classInfo(row) : undefined;
  }

  async classByCode(code: string): Promise<ClassInfo | undefined> {
    const [row] = await this.db.all('SELECT * FROM classes WHERE join_code = ?', [code.trim().toUpperCase()]);
    return row ? classInfo(row) : undefined;
  }

  async classesOfInstructor(accountId: string): Promise<ClassInfo[]> {
    return (await this.db.all('SELECT * FROM classes WHERE instructor_id = ? ORDER BY created_at', [accountId])).map(
      classInfo,
    );
  }

  async classesOfMember(accountId: string): Promise<ClassInfo[]> {
    return (
      await this.db.all(
        'SELECT c.* FROM classes c JOIN class_members m ON m.class_id = c.id WHERE m.account_id = ? ORDER BY c.created_at',
        [accountId],
      )
    ).map(classInfo);
  }

  async joinClass(classId: string, accountId: string): Promise<void> {
    await this.db.run(
      'INSERT INTO class_members (class_id, account_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      [classId, accountId, Date.now()],
    );
  }

  async classMembers(classId: string): Promise<Account[]> {
    return (
      await this.db.all(
        'SELECT a.* FROM accounts a JOIN class_members m ON m.account_id = a.id WHERE m.class_id = ? ORDER BY a.username',
        [classId],
      )
    ).map(account);
  }

  // --- certificates ---------------------------------------------------------

  async serverKey(
    name: string,
    make: () => { privatePem: string; publicPem: string },
  ): Promise<{ privatePem: string; publicPem: string }> {
    const read = async () => {
      const [row] = await this.db.all('SELECT private_pem, public_pem FROM server_keys WHERE name = ?', [name]);
      return row ? { privatePem: String(row.private_pem), publicPem: String(row.public_pem) } : undefined;
    };
    const found = await read();
    if (found) return found;
    const made = make();
    // Two replicas making one at once: the first insert wins and both use it.
    await this.db.run(
      'INSERT INTO server_keys (name, private_pem, public_pem, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [name, made.privatePem, made.publicPem, Date.now()],
    );
    return (await read())!;
  }

  async issueCertificate(input: { accountId: string; module: string; name: string }): Promise<Certificate> {
    await this.db.run(
      'INSERT INTO certificates (id, account_id, module, name, issued_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [randomBytes(12).toString('base64url'), input.accountId, input.module, input.name, Date.now()],
    );
    const [row] = await this.db.all('SELECT * FROM certificates WHERE account_id = ? AND module = ?', [
      input.accountId,
      input.module,
    ]);
    return certificate(row!);
  }

  async certificateById(id: string): Promise<Certificate | undefined> {
    const [row] = await this.db.all('SELECT * FROM certificates WHERE id = ?', [id]);
    return row ? certificate(row) : undefined;
  }

  async certificatesOf(accountId: string): Promise<Certificate[]> {
    return (await this.db.all('SELECT * FROM certificates WHERE account_id = ? ORDER BY issued_at', [accountId])).map(
      certificate,
    );
  }

  async revokeCertificate(id: string): Promise<boolean> {
    return (
      (await this.db.run('UPDATE certificates SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
        Date.now(),
        id,
      ])) > 0
    );
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
