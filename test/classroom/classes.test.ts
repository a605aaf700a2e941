import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Roster } from '../../server/classroom/roster.ts';
import type { LabServer } from '../../server/lab/server.ts';
import { workspacePaths } from '../../server/lab/workspace.ts';
import { startAppServer, type RunningAppServer } from '../helpers/app-server.ts';
import { BrowserLikeClient } from '../helpers/browser-like-client.ts';

const run = promisify(execFile);
let app: RunningAppServer;
let labServer: LabServer;
let base: string;

beforeAll(async () => {
  app = await startAppServer('classes-', { rosterPollMs: 200 });
  ({ labServer, base } = app);
});

afterAll(async () => {
  await app?.close();
});

async function account(username: string, role: 'learner' | 'instructor' = 'learner') {
  const client = new BrowserLikeClient(base);
  await client.request('GET', '/api/auth/me');
  const res = await client.request('POST', '/api/auth/signup', {
    username,
    email: `${username}@school.example`,
    password: 'a long class password',
  });
  expect(res.status).toBe(201);
  const id = (res.json.account as { id: string }).id;
  if (role !== 'learner') await labServer.classroom.setRole(id, role);
  return { client, id };
}

/** Reads a roster event stream; `until` resolves with the first roster that satisfies it. */
function rosterStream(client: BrowserLikeClient, classId: string) {
  const controller = new AbortController();
  const rosters: Roster[] = [];
  const waiters: Array<{ test: (r: Roster) => boolean; resolve: (r: Roster) => void }> = [];
  const done = (async () => {
    const res = await fetch(`${base}/api/classes/${classId}/events`, {
      headers: { cookie: client.cookieHeader() },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (!data) continue;
        const roster = JSON.parse(data) as Roster;
        rosters.push(roster);
        for (const w of waiters.splice(0)) {
          if (w.test(roster)) w.resolve(roster);
          else waiters.push(w);
        }
      }
    }
  })().catch(() => undefined);
  return {
    rosters,
    until: (test: (r: Roster) => boolean) =>
      new Promise<Roster>((resolve) => {
        const found = rosters.find(test);
        if (found) resolve(found);
        else waiters.push({ test, resolve });
      }),
    close: async () => {
      controller.abort();
      await done;
    },
  };
}

describe('classes', () => {
  it('an instructor runs a class: join code, live roster, CSV, ending a session; nobody else sees it', async () => {
    const ana = await account('ana-teacher', 'instructor');
    const bea = await account('bea-teacher', 'instructor');
    const leo = await account('leo');
    const mia = await account('mia');

    // A learner cannot create a class.
    expect((await leo.client.request('POST', '/api/classes', { name: 'mine' })).status).toBe(403);
    expect((await ana.client.request('POST', '/api/classes', { name: 'K8s security' }, { csrf: false })).status).toBe(
      403,
    );
    const created = await ana.client.request('POST', '/api/classes', {
      name: 'K8s security',
      endsAt: new Date(Date.now() + 86400_000).toISOString(),
    });
    expect(created.status).toBe(201);
    const klass = created.json.class as { id: string; joinCode: string };
    expect(klass.joinCode).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    const other = (await bea.client.request('POST', '/api/classes', { name: 'Other class' })).json.class as {
      id: string;
    };

    expect((await leo.client.request('POST', '/api/classes/join', { code: 'ZZZZZZZZ' })).status).toBe(404);
    for (const learner of [leo, mia])
      expect(
        (await learner.client.request('POST', '/api/classes/join', { code: klass.joinCode.toLowerCase() })).status,
      ).toBe(200);

    // Only the class's instructor reads the roster and a learner's progress.
    expect((await leo.client.request('GET', `/api/classes/${klass.id}/roster`)).status).toBe(403);
    expect((await leo.client.request('GET', `/api/classes/${klass.id}/learners/${mia.id}`)).status).toBe(403);
    expect((await bea.client.request('GET', `/api/classes/${klass.id}/roster`)).status).toBe(403);
    expect((await bea.client.request('GET', `/api/classes/${klass.id}/roster.csv`)).status).toBe(403);
    expect((await bea.client.request('GET', `/api/classes/${klass.id}/learners/${mia.id}`)).status).toBe(403);
    expect((await ana.client.request('GET', `/api/classes/${other.id}/roster`)).status).toBe(403);
    const anasList = (await ana.client.request('GET', '/api/classes')).json.teaching as Array<{ id: string }>;
    expect(anasList.map((c) => c.id)).toEqual([klass.id]);

    const stream = rosterStream(ana.client, klass.id);
    const first = await stream.until((r) => r.learners.length === 2);
    expect(first.learners.map((l) => [l.username, l.exercisesPassed, l.liveSession])).toEqual([
      ['leo', 0, null],
      ['mia', 0, null],
    ]);

    // Leo starts the lab and does the first exercise (as its solution does, with the real kubectl).
    const started = await leo.client.request('POST', '/api/sessions', { labId: 'security-basics' });
    expect(started.status).toBe(201);
    const sessionId = String(started.json.id);
    const info = await labServer.sessions.whenReady(sessionId);
    expect(info.state).toBe('ready');
    const kubeconfig = workspacePaths(labServer.sessions.workspace(sessionId)).graderKubeconfig;
    await run('kubectl', ['--kubeconfig', kubeconfig, 'create', 'namespace', 'shop']);
    await run('kubectl', [
      '--kubeconfig',
      kubeconfig,
      'label',
      'namespace',
      'shop',
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
    const check = await leo.client.request(
      'POST',
      `/api/sessions/${sessionId}/exercises/restricted-namespace/check?lang=en`,
    );
    expect(check.json.passed).toBe(true);
    await mia.client.request('POST', '/api/labs/security-basics/exercises/least-privilege/hint?lang=en');
    // Leo reads a lesson and gets its first quiz right at the second try; Mia gets one right at once.
    const lesson = '/api/lessons/threat-model/labs-and-grader';
    expect((await leo.client.request('POST', `${lesson}/read`)).status).toBe(200);
    expect((await leo.client.request('POST', `${lesson}/quizzes/grader-1?lang=en`, { options: [0] })).json.right).toBe(
      false,
    );
    expect((await leo.client.request('POST', `${lesson}/quizzes/grader-1?lang=en`, { options: [1] })).json.right).toBe(
      true,
    );
    expect((await mia.client.request('POST', `${lesson}/quizzes/grader-2?lang=en`, { options: [1] })).json.right).toBe(
      true,
    );

    const live = await stream.until(
      (r) =>
        r.learners.find((l) => l.username === 'leo')?.exercisesPassed === 1 &&
        r.learners.find((l) => l.username === 'leo')?.quizzesRight === 1 &&
        r.learners.find((l) => l.username === 'mia')?.hintsShown === 1 &&
        r.learners.find((l) => l.username === 'mia')?.quizzesRight === 1,
    );
    const leoRow = live.learners.find((l) => l.username === 'leo')!;
    expect(leoRow).toMatchObject({
      attempts: 1,
      lessonsRead: 1,
      quizzesAnswered: 1,
      quizzesRight: 1,
      quizzesRightFirstTry: 0,
      liveSession: { id: sessionId, labId: 'security-basics', state: 'ready' },
    });
    expect(leoRow.labs).toEqual([
      { lab: 'security-basics', passed: 1, attempted: 1, hintsShown: 0, solutionsShown: 0 },
    ]);
    // Per module: what the lessons and quizzes add (the exercises are per lab, above).
    expect(leoRow.modules).toEqual([{ module: 'threat-model', lessonsRead: 1, quizzesAnswered: 1, quizzesRight: 1 }]);
    expect(live.learners.find((l) => l.username === 'mia')!.modules).toEqual([
      { module: 'threat-model', lessonsRead: 0, quizzesAnswered: 1, quizzesRight: 1 },
    ]);

    const csv = await ana.client.request('GET', `/api/classes/${klass.id}/roster.csv`);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      'username,email,exercises_passed,attempts,hints_shown,solutions_shown,time_spent_minutes,' +
        'lessons_read,quizzes_answered,quizzes_right,quizzes_right_first_try,live_session_lab,live_session_state',
    );
    expect(lines[1]).toMatch(/^leo,leo@school\.example,1,1,0,0,\d+,1,1,1,0,security-basics,ready$/);
    expect(lines[2]).toMatch(/^mia,mia@school\.example,0,0,1,0,\d+,0,1,1,1,,$/);

    // The other instructor cannot touch Leo's session; his own can extend and end it.
    expect((await bea.client.request('POST', `/api/classes/${klass.id}/learners/${leo.id}/session/end`)).status).toBe(
      403,
    );
    const extended = await ana.client.request('POST', `/api/classes/${klass.id}/learners/${leo.id}/session/extend`, {
      minutes: 15,
    });
    expect(extended.status).toBe(200);
    expect((await ana.client.request('POST', `/api/classes/${klass.id}/learners/${leo.id}/session/end`)).status).toBe(
      200,
    );
    const gone = await leo.client.request('GET', `/api/sessions/${sessionId}`);
    expect(gone.status).toBe(404);
    await stream.until(
      (r) => r.learners.find((l) => l.username === 'leo')?.liveSession === null && r.learners[0]!.exercisesPassed === 1,
    );
    await stream.close();

    // Leo's own progress shows what the roster showed.
    expect((await leo.client.request('GET', '/api/progress?lab=security-basics')).json.progress).toEqual([
      {
        lab: 'security-basics',
        exercise: 'restricted-namespace',
        passed: true,
        attempts: 1,
        hintsShown: 0,
        solutionShown: false,
      },
    ]);
  });

  it('lets a class’s instructor reset a learner’s password, signing them out; nobody else can', async () => {
    const tom = await account('tom-teacher', 'instructor');
    const uma = await account('uma-teacher', 'instructor');
    const kid = await account('forgetful');
    const klass = (await tom.client.request('POST', '/api/classes', { name: 'Resets' })).json.class as {
      id: string;
      joinCode: string;
    };
    await kid.client.request('POST', '/api/classes/join', { code: klass.joinCode });
    const path = `/api/classes/${klass.id}/learners/${kid.id}/password`;
    expect((await uma.client.request('POST', path, { password: 'chosen by uma!' })).status).toBe(403);
    expect((await kid.client.request('POST', path, { password: 'chosen by kid!' })).status).toBe(403);
    expect((await tom.client.request('POST', path, { password: 'short' })).json.error).toBe('weak_password');
    expect((await tom.client.request('POST', path, { password: 'a fresh start 2' })).status).toBe(200);
    expect((await kid.client.request('GET', '/api/auth/me')).json.account).toBeNull();
    const again = new BrowserLikeClient(base);
    await again.request('GET', '/api/auth/me');
    const signIn = (password: string) => again.request('POST', '/api/auth/signin', { login: 'forgetful', password });
    expect((await signIn('a long class password')).status).toBe(401);
    expect((await signIn('a fresh start 2')).status).toBe(200);
  });

  it('answers a class’s roster, stream and controls only to its instructor, and every POST needs CSRF', async () => {
    const owner = await account('own-teacher', 'instructor');
    const rival = await account('rival-teacher', 'instructor');
    const pia = await account('pia');
    const noa = await account('noa');
    const anonymous = new BrowserLikeClient(base);
    await anonymous.request('GET', '/api/auth/me');
    const klass = (await owner.client.request('POST', '/api/classes', { name: 'Guarded' })).json.class as {
      id: string;
      joinCode: string;
    };
    const rivals = (await rival.client.request('POST', '/api/classes', { name: 'Rival' })).json.class as { id: string };
    // Joining is a POST: without the token it changes nothing.
    const unjoined = await pia.client.request('POST', '/api/classes/join', { code: klass.joinCode }, { csrf: false });
    expect([unjoined.status, unjoined.json.error]).toEqual([403, 'csrf']);
    expect((await pia.client.request('GET', '/api/classes')).json.member).toEqual([]);
    for (const learner of [pia, noa])
      expect((await learner.client.request('POST', '/api/classes/join', { code: klass.joinCode })).status).toBe(200);
    await noa.client.request('POST', '/api/labs/security-basics/exercises/least-privilege/hint?lang=en');

    const reads = ['roster', 'roster.csv', 'events', `learners/${noa.id}`].map((p) => `/api/classes/${klass.id}/${p}`);
    for (const path of reads) {
      for (const [who, status] of [
        [pia, 403],
        [rival, 403],
      ] as const) {
        const res = await who.client.request('GET', path);
        // Refused before anything is streamed or exported: a JSON error, not the data.
        expect([path, res.status, res.headers.get('content-type')]).toEqual([
          path,
          status,
          expect.stringMatching(/json/),
        ]);
      }
      expect((await anonymous.request('GET', path)).status).toBe(401);
      expect((await owner.client.request('GET', path.replace('/events', '/roster'))).status).toBe(200);
    }
    // A learner's own progress is theirs only: Pia's has nothing of Noa's hint.
    expect((await pia.client.request('GET', '/api/progress')).json.progress).toEqual([]);
    expect((await noa.client.request('GET', '/api/progress')).json.progress).toEqual([
      expect.objectContaining({ exercise: 'least-privilege', hintsShown: 1 }),
    ]);
    // An instructor lists and reads only their own classes.
    expect(
      ((await rival.client.request('GET', '/api/classes')).json.teaching as Array<{ id: string }>).map((c) => c.id),
    ).toEqual([rivals.id]);
    expect((await owner.client.request('GET', `/api/classes/${rivals.id}/roster`)).status).toBe(403);

    for (const action of ['end', 'reset', 'extend']) {
      const path = `/api/classes/${klass.id}/learners/${noa.id}/session/${action}`;
      expect((await pia.client.request('POST', path, {})).status).toBe(403);
      expect((await rival.client.request('POST', path, {})).status).toBe(403);
      const noToken = await owner.client.request('POST', path, {}, { csrf: false });
      expect([noToken.status, noToken.json.error]).toEqual([403, 'csrf']);
      // With the token the owner is let through (Noa has no lab open).
      expect((await owner.client.request('POST', path, {})).json.error).toBe('no_session');
    }
    const reset = `/api/classes/${klass.id}/learners/${noa.id}/password`;
    expect((await owner.client.request('POST', reset, { password: 'new password 12' }, { csrf: false })).status).toBe(
      403,
    );
    expect((await pia.client.request('POST', reset, { password: 'new password 12' })).status).toBe(403);
    const promote = await owner.client.request(
      'POST',
      '/api/admin/accounts/role',
      { login: 'pia', role: 'instructor' },
      { csrf: false },
    );
    expect([promote.status, promote.json.error]).toEqual([403, 'csrf']);
    expect((await pia.client.request('GET', '/api/auth/me')).json.account).toMatchObject({ role: 'learner' });
  });

  it('keeps a class closed outside its dates', async () => {
    const ines = await account('ines-teacher', 'instructor');
    const ended = (
      await ines.client.request('POST', '/api/classes', {
        name: 'Last year',
        startsAt: '2025-01-01T09:00:00Z',
        endsAt: '2025-01-02T09:00:00Z',
      })
    ).json.class as { joinCode: string };
    const pupil = await account('late-pupil');
    const refused = await pupil.client.request('POST', '/api/classes/join', { code: ended.joinCode });
    expect([refused.status, refused.json.error]).toEqual([410, 'class_ended']);
    const bad = await ines.client.request('POST', '/api/classes', { name: 'x', startsAt: 'tomorrow' });
    expect([bad.status, bad.json.error]).toEqual([400, 'bad_date']);
  });
});
