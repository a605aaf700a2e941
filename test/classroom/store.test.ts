import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabStore } from '../../server/lab/store.ts';
import { migrate, migrations, schemaVersion } from '../../server/lab/store/migrations.ts';
import { openClassroomStore } from '../../server/lab/store/open.ts';
import { PostgresDriver } from '../../server/lab/store/postgres-driver.ts';
import { AccountConflictError, type ClassroomStore } from '../../server/lab/store/types.ts';
import { postgresBinDir, startPostgres, type PostgresCluster } from '../helpers/postgres.ts';

const latest = Math.max(...migrations.map((m) => m.version));
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function sqliteFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'store-test-'));
  dirs.push(dir);
  return join(dir, 'lab.sqlite');
}

/** The same behaviour on both databases: `open` gives a fresh, migrated store. */
function storeSuite(open: () => Promise<{ store: ClassroomStore; close(): Promise<void> }>) {
  let store: ClassroomStore;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await open());
  });
  afterAll(async () => close?.());

  it('records attempts: passed stays passed, attempts add up, other learners see nothing', async () => {
    await store.recordAttempt('anna', 'lab-a', 'ex-1', false, [{ ok: false }]);
    await store.recordAttempt('anna', 'lab-a', 'ex-1', true, [{ ok: true }]);
    await store.recordAttempt('anna', 'lab-a', 'ex-1', false, [{ ok: false }]);
    await store.recordAttempt('anna', 'lab-b', 'ex-9', false, []);
    expect(await store.progressFor('anna', 'lab-a')).toEqual([
      { lab: 'lab-a', exercise: 'ex-1', passed: true, attempts: 3, hintsShown: 0, solutionShown: false },
    ]);
    expect((await store.progressFor('anna')).map((p) => p.lab)).toEqual(['lab-a', 'lab-b']);
    expect(await store.progressFor('bob')).toEqual([]);
  });

  it('unlocks hints one at a time up to what the exercise has, and records a shown solution', async () => {
    expect(await store.showHint('carl', 'lab-a', 'ex-1', 2)).toBe(1);
    expect(await store.showHint('carl', 'lab-a', 'ex-1', 2)).toBe(2);
    expect(await store.showHint('carl', 'lab-a', 'ex-1', 2)).toBe(2);
    await store.recordSolutionShown('carl', 'lab-a', 'ex-1');
    expect(await store.progressFor('carl')).toEqual([
      { lab: 'lab-a', exercise: 'ex-1', passed: false, attempts: 0, hintsShown: 2, solutionShown: true },
    ]);
  });

  it('merges an anonymous learner into an account learner: passes, hints and solutions carry over', async () => {
    await store.recordAttempt('anon-1', 'lab-a', 'ex-1', true, []);
    await store.showHint('anon-1', 'lab-a', 'ex-2', 3);
    await store.recordAttempt('acct-1', 'lab-a', 'ex-2', false, []);
    await store.recordSolutionShown('anon-1', 'lab-a', 'ex-3');
    await store.mergeProgress('anon-1', 'acct-1');
    expect(await store.progressFor('anon-1')).toEqual([]);
    expect(await store.progressFor('acct-1')).toEqual([
      { lab: 'lab-a', exercise: 'ex-1', passed: true, attempts: 1, hintsShown: 0, solutionShown: false },
      { lab: 'lab-a', exercise: 'ex-2', passed: false, attempts: 1, hintsShown: 1, solutionShown: false },
      { lab: 'lab-a', exercise: 'ex-3', passed: false, attempts: 0, hintsShown: 0, solutionShown: true },
    ]);
  });

  it('records lessons read once and quiz answers: right stays right, first try counts only the first', async () => {
    await store.recordLessonRead('lena', 'mod-a', 'intro');
    await store.recordLessonRead('lena', 'mod-a', 'intro');
    await store.recordLessonRead('lena', 'mod-b', 'rbac');
    const reads = await store.lessonsReadBy('lena');
    expect(reads.map((r) => `${r.module}/${r.lesson}`)).toEqual(['mod-a/intro', 'mod-b/rbac']);
    expect(reads[0]!.readAt).toBeGreaterThan(Date.now() - 60_000);
    await store.recordQuizAnswer('lena', 'mod-a', 'intro', 'q-1', false);
    await store.recordQuizAnswer('lena', 'mod-a', 'intro', 'q-1', true);
    await store.recordQuizAnswer('lena', 'mod-a', 'intro', 'q-1', false);
    await store.recordQuizAnswer('lena', 'mod-a', 'intro', 'q-2', true);
    expect(await store.quizzesOf('lena')).toEqual([
      { module: 'mod-a', lesson: 'intro', quiz: 'q-1', attempts: 3, right: true, rightFirstTry: false },
      { module: 'mod-a', lesson: 'intro', quiz: 'q-2', attempts: 1, right: true, rightFirstTry: true },
    ]);
    expect(await store.quizzesOf('bob')).toEqual([]);
    expect(await store.lessonsReadBy('bob')).toEqual([]);
  });

  it('merges lessons read and quiz answers into an account learner, and deletes them with the account', async () => {
    await store.recordLessonRead('anon-q', 'mod-a', 'intro');
    await store.recordLessonRead('acct-q', 'mod-a', 'intro');
    await store.recordLessonRead('anon-q', 'mod-a', 'next');
    await store.recordQuizAnswer('anon-q', 'mod-a', 'intro', 'q-1', true);
    await store.recordQuizAnswer('acct-q', 'mod-a', 'intro', 'q-2', false);
    await store.recordQuizAnswer('anon-q', 'mod-a', 'intro', 'q-2', true);
    await store.mergeProgress('anon-q', 'acct-q');
    expect(await store.lessonsReadBy('anon-q')).toEqual([]);
    expect(await store.quizzesOf('anon-q')).toEqual([]);
    expect((await store.lessonsReadBy('acct-q')).map((r) => r.lesson)).toEqual(['intro', 'next']);
    expect(await store.quizzesOf('acct-q')).toEqual([
      { module: 'mod-a', lesson: 'intro', quiz: 'q-1', attempts: 1, right: true, rightFirstTry: true },
      { module: 'mod-a', lesson: 'intro', quiz: 'q-2', attempts: 2, right: true, rightFirstTry: false },
    ]);
    const a = await store.createAccount({ username: 'quinn', passwordHash: 'h', role: 'learner', learnerId: 'acct-q' });
    await store.deleteAccount(a.id);
    expect(await store.lessonsReadBy('acct-q')).toEqual([]);
    expect(await store.quizzesOf('acct-q')).toEqual([]);
    expect((await store.lessonsReadBy('lena')).length).toBe(2);
  });

  it('creates accounts found by username or email in any case, and refuses taken ones', async () => {
    const a = await store.createAccount({
      username: 'Dana',
      email: 'Dana@Example.org',
      passwordHash: 'h1',
      role: 'learner',
      learnerId: 'learner-dana',
    });
    expect(a).toMatchObject({ username: 'dana', email: 'dana@example.org', role: 'learner' });
    expect((await store.accountByLogin('DANA'))?.id).toBe(a.id);
    expect((await store.accountByLogin('dana@EXAMPLE.org'))?.passwordHash).toBe('h1');
    expect(await store.accountByLogin('nobody')).toBeUndefined();
    const taken = (input: { username: string; email?: string }) =>
      store.createAccount({ ...input, passwordHash: 'x', role: 'learner', learnerId: `l-${input.username}` });
    await expect(taken({ username: 'dana' })).rejects.toBeInstanceOf(AccountConflictError);
    await expect(taken({ username: 'dana2', email: 'DANA@example.org' })).rejects.toMatchObject({ field: 'email' });
    await store.setRole(a.id, 'instructor');
    expect((await store.accountById(a.id))?.role).toBe('instructor');
  });

  it('keeps sign-ins until they expire or end; a new password ends them all', async () => {
    const a = await store.createAccount({ username: 'eve', passwordHash: 'h', role: 'learner', learnerId: 'l-eve' });
    const now = Date.now();
    await store.createAuthSession('hash-1', a.id, 'csrf-1', now + 60_000);
    await store.createAuthSession('hash-2', a.id, 'csrf-2', now - 1);
    expect(await store.authSession('hash-1')).toMatchObject({ account: { id: a.id }, csrfToken: 'csrf-1' });
    expect(await store.authSession('hash-2')).toBeUndefined();
    await store.deleteAuthSession('hash-1');
    expect(await store.authSession('hash-1')).toBeUndefined();
    await store.createAuthSession('hash-3', a.id, 'csrf-3', now + 60_000);
    await store.setPasswordHash(a.id, 'new');
    expect(await store.authSession('hash-3')).toBeUndefined();
    expect((await store.accountByLogin('eve'))?.passwordHash).toBe('new');
  });

  it('counts sign-in failures per window and forgets them after it', async () => {
    const t = 1_000_000;
    expect(await store.noteSignInFailure('k', 60_000, t)).toBe(1);
    expect(await store.noteSignInFailure('k', 60_000, t + 10)).toBe(2);
    expect(await store.signInFailures('k', 60_000, t + 20)).toBe(2);
    expect(await store.signInFailures('k', 60_000, t + 60_001)).toBe(0);
    expect(await store.noteSignInFailure('k', 60_000, t + 60_001)).toBe(1);
    await store.clearSignInFailures('k');
    expect(await store.signInFailures('k', 60_000, t + 60_002)).toBe(0);
  });

  it('keeps classes with unique join codes, their members, and each instructor’s own list', async () => {
    const teacher = await store.createAccount({
      username: 'tess',
      passwordHash: 'h',
      role: 'instructor',
      learnerId: 'l-tess',
    });
    const other = await store.createAccount({
      username: 'otto',
      passwordHash: 'h',
      role: 'instructor',
      learnerId: 'l-otto',
    });
    const pupil = await store.createAccount({
      username: 'pia',
      passwordHash: 'h',
      role: 'learner',
      learnerId: 'l-pia',
    });
    const a = await store.createClass({ name: 'A', instructorId: teacher.id, endsAt: 2_000_000_000_000 });
    const b = await store.createClass({ name: 'B', instructorId: other.id });
    expect(a.joinCode).not.toBe(b.joinCode);
    expect((await store.classByCode(a.joinCode.toLowerCase()))?.id).toBe(a.id);
    expect(a.endsAt).toBe(2_000_000_000_000);
    await store.joinClass(a.id, pupil.id);
    await store.joinClass(a.id, pupil.id);
    expect((await store.classMembers(a.id)).map((m) => m.username)).toEqual(['pia']);
    expect(await store.classMembers(b.id)).toEqual([]);
    expect((await store.classesOfInstructor(teacher.id)).map((c) => c.name)).toEqual(['A']);
    expect((await store.classesOfMember(pupil.id)).map((c) => c.name)).toEqual(['A']);
    await store.deleteAccount(pupil.id);
    expect(await store.classMembers(a.id)).toEqual([]);
  });

  it('links an OIDC subject to the account made at its first sign-in, per issuer', async () => {
    const iss = 'https://idp.example.edu';
    expect(await store.accountByOidc(iss, 'sub-1')).toBeUndefined();
    const made = await store.createOidcAccount(iss, 'sub-1', {
      username: 'gil',
      passwordHash: '!oidc',
      role: 'learner',
      learnerId: 'l-gil',
    });
    expect(made).toMatchObject({ username: 'gil', role: 'learner', learnerId: 'l-gil' });
    expect((await store.accountByOidc(iss, 'sub-1'))?.id).toBe(made.id);
    // The same subject at another issuer is somebody else.
    expect(await store.accountByOidc('https://other.example.edu', 'sub-1')).toBeUndefined();
    // A second first sign-in of the same subject gets the same account.
    const again = await store.createOidcAccount(iss, 'sub-1', {
      username: 'gil2',
      passwordHash: '!oidc',
      role: 'learner',
      learnerId: 'l-gil2',
    });
    expect(again.id).toBe(made.id);
    expect(await store.accountByLogin('gil2')).toBeUndefined();
    // A taken username is refused as for sign-up, and nothing is linked.
    await expect(
      store.createOidcAccount(iss, 'sub-2', {
        username: 'gil',
        passwordHash: '!oidc',
        role: 'learner',
        learnerId: 'l-x',
      }),
    ).rejects.toBeInstanceOf(AccountConflictError);
    expect(await store.accountByOidc(iss, 'sub-2')).toBeUndefined();
    await store.deleteAccount(made.id);
    expect(await store.accountByOidc(iss, 'sub-1')).toBeUndefined();
  });

  it('deletes an account with its sign-ins and progress, and nobody else’s', async () => {
    const a = await store.createAccount({ username: 'fay', passwordHash: 'h', role: 'learner', learnerId: 'l-fay' });
    await store.recordAttempt('l-fay', 'lab-a', 'ex-1', true, []);
    await store.createAuthSession('hash-fay', a.id, 'c', Date.now() + 60_000);
    await store.deleteAccount(a.id);
    expect(await store.accountById(a.id)).toBeUndefined();
    expect(await store.authSession('hash-fay')).toBeUndefined();
    expect(await store.progressFor('l-fay')).toEqual([]);
    expect((await store.progressFor('anna')).length).toBe(2);
  });
}

describe('classroom store on SQLite', () => {
  storeSuite(async () => {
    const local = new LabStore(await sqliteFile());
    const store = await openClassroomStore(undefined, local);
    return { store, close: async () => (await store.close(), local.close()) };
  });
});

// PostgreSQL comes from Debian's packages (.ci/run installs them): in CI it must run, never skip.
const havePostgres = postgresBinDir() !== undefined || process.env.CI === 'true';
describe.skipIf(!havePostgres)('classroom store on PostgreSQL', () => {
  let cluster: PostgresCluster | undefined;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => cluster?.stop());

  describe('store behaviour', () => {
    storeSuite(async () => {
      const local = new LabStore(await sqliteFile());
      const store = await openClassroomStore(await cluster!.createDatabase(), local);
      expect(store.dialect).toBe('postgres');
      return { store, close: async () => (await store.close(), local.close()) };
    });
  });

  it('migrates once when several replicas start at the same time', async () => {
    const url = await cluster!.createDatabase();
    const drivers = [1, 2, 3].map(() => new PostgresDriver(url, { max: 2 }));
    try {
      const applied = await Promise.all(drivers.map((d) => migrate(d)));
      expect(applied.flat().sort()).toEqual(migrations.map((m) => m.version));
      expect(await schemaVersion(drivers[0]!)).toBe(latest);
      const rows = await drivers[0]!.all('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => Number(r.version))).toEqual(migrations.map((m) => m.version));
    } finally {
      for (const d of drivers) await d.close();
    }
  });
});
