import { DatabaseSync } from 'node:sqlite';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LabStore } from '../../server/lab/store.ts';
import { migrate, migrations, schemaVersion, SchemaTooNewError } from '../../server/lab/store/migrations.ts';
import { openClassroomStore } from '../../server/lab/store/open.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The lab server's database as it was before accounts (LabStore's schema until schema_migrations). */
function writeTodaysDatabase(path: string): void {
  const db = new DatabaseSync(path);
  db.exec(`
    PRAGMA journal_mode = WAL;
    CREATE TABLE sessions (
      id TEXT PRIMARY KEY, learner TEXT NOT NULL, lab_id TEXT NOT NULL, backend TEXT NOT NULL,
      state TEXT NOT NULL, token TEXT NOT NULL, workspace TEXT NOT NULL,
      created_at INTEGER NOT NULL, last_active INTEGER NOT NULL, error TEXT, uid INTEGER
    );
    CREATE INDEX sessions_learner ON sessions(learner);
    CREATE TABLE progress (
      learner TEXT NOT NULL, lab_id TEXT NOT NULL, exercise_id TEXT NOT NULL,
      passed INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
      hints_shown INTEGER NOT NULL DEFAULT 0, solution_shown INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (learner, lab_id, exercise_id)
    );
    CREATE TABLE attempts (
      learner TEXT NOT NULL, lab_id TEXT NOT NULL, exercise_id TEXT NOT NULL,
      passed INTEGER NOT NULL, results TEXT NOT NULL, at INTEGER NOT NULL
    );
  `);
  db.prepare(
    "INSERT INTO sessions VALUES ('s1', 'anon-a', 'lab-a', 'embedded', 'ready', 't', '/w', 1, 2, NULL, NULL)",
  ).run();
  db.prepare("INSERT INTO progress VALUES ('anon-a', 'lab-a', 'ex-1', 1, 2, 1, 0, 5)").run();
  db.prepare("INSERT INTO progress VALUES ('anon-a', 'lab-a', 'ex-2', 0, 1, 0, 1, 6)").run();
  db.prepare("INSERT INTO attempts VALUES ('anon-a', 'lab-a', 'ex-1', 1, '[]', 5)").run();
  db.close();
}

describe('classroom schema migrations', () => {
  it('upgrade a database from before accounts in place, keeping its anonymous progress and sessions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrate-'));
    dirs.push(dir);
    const path = join(dir, 'lab.sqlite');
    writeTodaysDatabase(path);

    const local = new LabStore(path);
    const store = await openClassroomStore(undefined, local);
    expect(await store.progressFor('anon-a')).toEqual([
      { lab: 'lab-a', exercise: 'ex-1', passed: true, attempts: 2, hintsShown: 1, solutionShown: false },
      { lab: 'lab-a', exercise: 'ex-2', passed: false, attempts: 1, hintsShown: 0, solutionShown: true },
    ]);
    expect(local.active().map((s) => s.id)).toEqual(['s1']);
    // The anonymous learner claims it into a new account: nothing is lost.
    const account = await store.createAccount({
      username: 'ana',
      passwordHash: 'h',
      role: 'learner',
      learnerId: 'acct-learner',
    });
    await store.mergeProgress('anon-a', account.learnerId);
    expect((await store.progressFor(account.learnerId)).filter((p) => p.passed).map((p) => p.exercise)).toEqual([
      'ex-1',
    ]);
    // The newest steps work on the upgraded file: lessons read and quiz answers.
    await store.recordLessonRead(account.learnerId, 'mod-a', 'intro');
    await store.recordQuizAnswer(account.learnerId, 'mod-a', 'intro', 'q-1', true);
    expect((await store.lessonsReadBy(account.learnerId)).map((r) => r.lesson)).toEqual(['intro']);
    await store.close();
    local.close();

    const db = new DatabaseSync(path);
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
    expect(versions.map((r) => Number(r.version))).toEqual(migrations.map((m) => m.version));
    db.close();

    // Opening again applies nothing twice.
    const again = new LabStore(path);
    const reopened = await openClassroomStore(undefined, again);
    expect((await reopened.accountByLogin('ana'))?.id).toBe(account.id);
    expect((await reopened.quizzesOf(account.learnerId)).map((q) => [q.quiz, q.right])).toEqual([['q-1', true]]);
    await reopened.close();
    again.close();
  });

  it('upgrade a database from before lessons and quizzes in place, keeping its rows', async () => {
    const step = migrations.find((m) => m.name === 'lessons read and quiz answers')!.version;
    const earlier = migrations.filter((m) => m.version < step);
    const dir = await mkdtemp(join(tmpdir(), 'migrate-'));
    dirs.push(dir);
    const path = join(dir, 'lab.sqlite');
    const before = new LabStore(path);
    expect(await migrate(before.sqlDriver(), earlier)).toEqual(earlier.map((m) => m.version));
    await before
      .sqlDriver()
      .run(
        "INSERT INTO progress (learner, lab_id, exercise_id, passed, attempts, updated_at) VALUES ('anon-b', 'lab-a', 'ex-1', 1, 1, 5)",
      );
    before.close();

    const local = new LabStore(path);
    const store = await openClassroomStore(undefined, local);
    expect(await schemaVersion(local.sqlDriver())).toBe(migrations.at(-1)!.version);
    expect((await store.progressFor('anon-b')).map((p) => p.exercise)).toEqual(['ex-1']);
    await store.recordQuizAnswer('anon-b', 'mod-a', 'intro', 'q-1', false);
    expect(await store.quizzesOf('anon-b')).toEqual([
      { module: 'mod-a', lesson: 'intro', quiz: 'q-1', attempts: 1, right: false, rightFirstTry: false },
    ]);
    await store.close();
    local.close();
  });

  it('upgrade quiz answers from before the last answer was kept: nothing to show until answered again', async () => {
    const step = migrations.find((m) => m.name === 'last quiz answer')!.version;
    const earlier = migrations.filter((m) => m.version < step);
    const dir = await mkdtemp(join(tmpdir(), 'migrate-'));
    dirs.push(dir);
    const path = join(dir, 'lab.sqlite');
    const before = new LabStore(path);
    await migrate(before.sqlDriver(), earlier);
    await before
      .sqlDriver()
      .run(
        "INSERT INTO quiz_answers (learner, module, lesson, quiz, attempts, right_answer, right_first_try, updated_at) VALUES ('anon-c', 'mod-a', 'intro', 'q-1', 2, 1, 0, 5)",
      );
    before.close();

    const local = new LabStore(path);
    const store = await openClassroomStore(undefined, local);
    expect(await schemaVersion(local.sqlDriver())).toBe(step);
    expect(await store.quizzesOf('anon-c')).toMatchObject([{ quiz: 'q-1', attempts: 2, right: true }]);
    expect(await store.lastAnswers('anon-c', 'mod-a', 'intro')).toEqual([]);
    await store.recordQuizAnswer('anon-c', 'mod-a', 'intro', 'q-1', false, { options: [3] });
    expect(await store.lastAnswers('anon-c', 'mod-a', 'intro')).toEqual([
      { quiz: 'q-1', answer: { options: [3] }, right: false },
    ]);
    // Claiming the anonymous id moves its last answer too.
    await store.recordQuizAnswer('acct-c', 'mod-a', 'intro', 'q-1', true, { options: [1] });
    await store.mergeProgress('anon-c', 'acct-c');
    expect(await store.lastAnswers('acct-c', 'mod-a', 'intro')).toEqual([
      { quiz: 'q-1', answer: { options: [3] }, right: false },
    ]);
    expect(await store.quizzesOf('acct-c')).toMatchObject([{ quiz: 'q-1', attempts: 4, right: true }]);
    await store.close();
    local.close();
  });

  it('refuses a database migrated by a newer lab server, changing nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrate-'));
    dirs.push(dir);
    const path = join(dir, 'lab.sqlite');
    const local = new LabStore(path);
    await (await openClassroomStore(undefined, local)).close();
    local.close();
    const db = new DatabaseSync(path);
    db.prepare("INSERT INTO schema_migrations VALUES (999, 'from the future', 0)").run();
    db.close();
    const newer = new LabStore(path);
    await expect(openClassroomStore(undefined, newer)).rejects.toBeInstanceOf(SchemaTooNewError);
    newer.close();
  });
});
