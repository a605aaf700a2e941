import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type RunningAppServer } from '../helpers/app-server.ts';
import { BrowserLikeClient } from '../helpers/browser-like-client.ts';
import { projectRoot } from '../helpers/project.ts';

let app: RunningAppServer;
let base: string;

beforeAll(async () => {
  app = await startAppServer('quiz-api-', { contentDir: join(projectRoot, 'content') });
  ({ base } = app);
});

afterAll(async () => {
  await app?.close();
});

const grader = '/api/lessons/threat-model/labs-and-grader';
const scanning = '/api/lessons/supply-chain-build/scanning';
const trusted = '/api/lessons/supply-chain-build/trusted-images';

describe('quizzes graded by the lab server', () => {
  it('answers right or wrong, with the explanation in the page locale only once right', async () => {
    const learner = new BrowserLikeClient(base);
    const wrong = await learner.request('POST', `${grader}/quizzes/grader-1?lang=es`, { options: [0] });
    expect(wrong.status).toBe(200);
    expect(wrong.json).toEqual({ quiz: 'grader-1', right: false, explanation: null });
    const right = await learner.request('POST', `${grader}/quizzes/grader-1?lang=es`, { options: [1] });
    expect(right.json).toMatchObject({ quiz: 'grader-1', right: true });
    expect(String(right.json.explanation)).toMatch(/^El mínimo privilegio tiene dos mitades/);
    const english = await learner.request('POST', `${grader}/quizzes/grader-1?lang=en`, { options: [1] });
    expect(String(english.json.explanation)).toMatch(/^Least privilege has two halves/);
  });

  it('grades multiple choice as the whole set, and short answers ignoring case and spaces', async () => {
    const learner = new BrowserLikeClient(base);
    const part = await learner.request('POST', `${scanning}/quizzes/scan-2?lang=en`, { options: [0, 1] });
    expect(part.json.right).toBe(false);
    const all = await learner.request('POST', `${scanning}/quizzes/scan-2?lang=en`, { options: [2, 0, 1, 1] });
    expect(all.json.right).toBe(true);
    const short = await learner.request('POST', `${trusted}/quizzes/trusted-1?lang=en`, { text: '  Docker.IO ' });
    expect(short.json.right).toBe(true);
    const other = await learner.request('POST', `${trusted}/quizzes/trusted-1?lang=en`, { text: 'ghcr.io' });
    expect(other.json.right).toBe(false);
  });

  it('refuses unknown lessons, quizzes and options, and malformed answers, with a clear error', async () => {
    const learner = new BrowserLikeClient(base);
    const cases: Array<[string, unknown, number, string, RegExp]> = [
      [`${grader}/quizzes/no-such-quiz`, { options: [1] }, 404, 'unknown_quiz', /has no quiz no-such-quiz/],
      [`${grader}/quizzes/constructor`, { options: [1] }, 404, 'unknown_quiz', /has no quiz constructor/],
      ['/api/lessons/threat-model/constructor/read', undefined, 404, 'unknown_lesson', /no lesson/],
      [
        '/api/lessons/threat-model/no-such-lesson/quizzes/grader-1',
        { options: [1] },
        404,
        'unknown_lesson',
        /no lesson/,
      ],
      [`${grader}/quizzes/grader-1`, { options: [4] }, 400, 'unknown_option', /no option 4: its options are 0 to 3/],
      [`${grader}/quizzes/grader-1`, { options: [-1] }, 400, 'unknown_option', /no option -1/],
      [`${grader}/quizzes/grader-1`, { options: [0, 1] }, 400, 'bad_answer', /exactly one option/],
      [`${grader}/quizzes/grader-1`, { options: [] }, 400, 'bad_answer', /send \{"options"/],
      [`${grader}/quizzes/grader-1`, { options: ['1'] }, 400, 'bad_answer', /send \{"options"/],
      [`${grader}/quizzes/grader-1`, { text: 'view' }, 400, 'bad_answer', /takes options/],
      [`${trusted}/quizzes/trusted-1`, { options: [0] }, 400, 'bad_answer', /short answer/],
      [`${trusted}/quizzes/trusted-1`, { text: 'x'.repeat(201) }, 400, 'bad_answer', /at most 200/],
      ['/api/lessons/threat-model/labs-and-grader/quizzes/../../x', { options: [1] }, 404, 'not_found', /No API/],
      ['/api/lessons/Threat-Model/labs-and-grader/read', undefined, 404, 'not_found', /No API/],
    ];
    for (const [path, body, status, error, message] of cases) {
      const res = await learner.request('POST', `${path}?lang=en`, body);
      expect({ path, status: res.status, error: res.json.error }).toEqual({ path, status, error });
      expect(String(res.json.message), path).toMatch(message);
    }
    expect((await learner.request('GET', `${grader}/quizzes/grader-1`)).status).toBe(405);
    // None of the refused answers was recorded.
    expect((await learner.request('GET', '/api/progress')).json.quizzes).toEqual([]);
  });

  it('records answers and lessons read in the progress API, for this learner only', async () => {
    const learner = new BrowserLikeClient(base);
    await learner.request('POST', `${grader}/quizzes/grader-1?lang=en`, { options: [2] });
    await learner.request('POST', `${grader}/quizzes/grader-1?lang=en`, { options: [1] });
    await learner.request('POST', `${grader}/quizzes/grader-2?lang=en`, { options: [1] });
    const read = await learner.request('POST', `${grader}/read`);
    expect(read.json).toEqual({ module: 'threat-model', lesson: 'labs-and-grader', read: true });
    expect((await learner.request('POST', '/api/lessons/threat-model/nope/read')).status).toBe(404);
    const { json } = await learner.request('GET', '/api/progress');
    expect(json.quizzes).toEqual([
      {
        module: 'threat-model',
        lesson: 'labs-and-grader',
        quiz: 'grader-1',
        attempts: 2,
        right: true,
        rightFirstTry: false,
      },
      {
        module: 'threat-model',
        lesson: 'labs-and-grader',
        quiz: 'grader-2',
        attempts: 1,
        right: true,
        rightFirstTry: true,
      },
    ]);
    expect(json.lessons).toEqual([
      { module: 'threat-model', lesson: 'labs-and-grader', readAt: expect.any(Number) as number },
    ]);
    const stranger = new BrowserLikeClient(base);
    const theirs = await stranger.request('GET', '/api/progress');
    expect(theirs.json).toMatchObject({ progress: [], lessons: [], quizzes: [] });
  });

  it('keeps anonymous answers at sign-up, and a signed-in learner needs the CSRF token to answer', async () => {
    const learner = new BrowserLikeClient(base);
    await learner.request('POST', `${grader}/quizzes/grader-1?lang=en`, { options: [1] });
    await learner.request('POST', `${grader}/read`);
    await learner.request('GET', '/api/auth/me');
    const signUp = await learner.request('POST', '/api/auth/signup', {
      username: 'quizzer',
      email: 'quizzer@example.org',
      password: 'correct horse battery',
    });
    expect(signUp.status).toBe(201);
    const forged = await learner.request(
      'POST',
      `${grader}/quizzes/grader-2?lang=en`,
      { options: [1] },
      { csrf: false },
    );
    expect(forged.status).toBe(403);
    expect(forged.json.error).toBe('csrf');
    expect((await learner.request('POST', `${grader}/quizzes/grader-2?lang=en`, { options: [0] })).json.right).toBe(
      false,
    );
    const { json } = await learner.request('GET', '/api/progress');
    expect((json.quizzes as Array<{ quiz: string; right: boolean }>).map((q) => [q.quiz, q.right])).toEqual([
      ['grader-1', true],
      ['grader-2', false],
    ]);
    expect((json.lessons as unknown[]).length).toBe(1);
  });

  it("gives back a lesson's last answers with their verdict, the explanation only when right, for this learner only", async () => {
    const learner = new BrowserLikeClient(base);
    expect((await learner.request('GET', `${grader}/quizzes?lang=en`)).json).toEqual({ quizzes: [] });
    await learner.request('POST', `${grader}/quizzes/grader-1?lang=en`, { options: [1] });
    await learner.request('POST', `${grader}/quizzes/grader-1?lang=en`, { options: [2] });
    await learner.request('POST', `${grader}/quizzes/grader-2?lang=en`, { options: [1] });
    // A refused answer is not the last answer.
    await learner.request('POST', `${grader}/quizzes/grader-2?lang=en`, { options: [9] });
    const es = await learner.request('GET', `${grader}/quizzes?lang=es`);
    expect(es.status).toBe(200);
    const [first, second] = es.json.quizzes as Array<Record<string, unknown>>;
    // The last answer counts, not the earlier right one.
    expect(first).toEqual({ quiz: 'grader-1', answer: { options: [2] }, right: false, explanation: null });
    expect(second).toMatchObject({ quiz: 'grader-2', answer: { options: [1] }, right: true });
    expect(String(second!.explanation)).not.toBe('null');
    const en = await learner.request('GET', `${grader}/quizzes?lang=en`);
    expect((en.json.quizzes as Array<{ explanation: string }>)[1]!.explanation).not.toBe(second!.explanation);

    await learner.request('POST', `${scanning}/quizzes/scan-2?lang=en`, { options: [2, 0, 1] });
    await learner.request('POST', `${trusted}/quizzes/trusted-1?lang=en`, { text: '  Docker.IO ' });
    expect((await learner.request('GET', `${scanning}/quizzes?lang=en`)).json.quizzes).toMatchObject([
      { quiz: 'scan-2', answer: { options: [2, 0, 1] }, right: true },
    ]);
    const typed = await learner.request('GET', `${trusted}/quizzes?lang=en`);
    expect(typed.json.quizzes).toMatchObject([{ quiz: 'trusted-1', answer: { text: '  Docker.IO ' }, right: true }]);
    expect(String((typed.json.quizzes as Array<{ explanation: string }>)[0]!.explanation)).toContain('docker.io');

    const stranger = new BrowserLikeClient(base);
    expect((await stranger.request('GET', `${grader}/quizzes?lang=en`)).json).toEqual({ quizzes: [] });
    expect((await learner.request('POST', `${grader}/quizzes?lang=en`, {})).status).toBe(405);
    expect((await learner.request('GET', '/api/lessons/threat-model/nope/quizzes')).json.error).toBe('unknown_lesson');
  });

  it('never puts the answer key or the explanations in the built lesson pages or their scripts', async () => {
    const learner = new BrowserLikeClient(base);
    const page = await learner.request('GET', '/en/modules/threat-model/labs-and-grader/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-quiz="grader-1"');
    expect(page.text).not.toContain('Least privilege has two halves');
    expect(page.text).not.toMatch(/data-expected|"answer"/);
    const scripts = [...page.text.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
    for (const src of scripts) expect((await learner.request('GET', src)).text).not.toContain('Least privilege');
  });
});
