import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webSecurity } from '../../server/http/security.ts';
import { startAppServer, type RunningAppServer } from '../helpers/app-server.ts';
import { BrowserLikeClient } from '../helpers/browser-like-client.ts';
import { projectRoot } from '../helpers/project.ts';

// A small budget so the test is quick; the refill (1 a minute) does not matter within it.
const burst = 5;

let app: RunningAppServer;
let dataDir: string;
let base: string;

beforeAll(async () => {
  // Behind a trusted loopback proxy: the client address is the first X-Forwarded-For hop.
  const security = webSecurity({ bindHost: '127.0.0.1', trustProxy: true });
  app = await startAppServer(
    'new-learners-',
    {
      contentDir: join(projectRoot, 'content'),
      security,
      apiLimits: { newLearnersPerAddress: { burst, perMinute: 1 } },
    },
    { security },
  );
  ({ dataDir, base } = app);
});

afterAll(async () => {
  await app?.close();
});

/** Distinct learners with any progress row (quiz answers, lessons read, lab progress). */
function learnerRows(): number {
  const db = new DatabaseSync(join(dataDir, 'lab.sqlite'), { readOnly: true });
  try {
    const row = db
      .prepare(
        `SELECT COUNT(*) AS n FROM (SELECT learner FROM quiz_answers UNION SELECT learner FROM lesson_reads
         UNION SELECT learner FROM progress)`,
      )
      .get() as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

const quiz = '/api/lessons/threat-model/labs-and-grader/quizzes/grader-1';
const read = '/api/lessons/threat-model/labs-and-grader/read';
const hint = '/api/labs/security-basics/exercises/least-privilege/hint';

/** A POST with no cookie at all, as a script that drops them would send. */
async function cookieless(path: string, address: string, headers: Record<string, string> = {}) {
  return new BrowserLikeClient(base).request('POST', path, path === read ? undefined : { options: [1] }, {
    headers: { 'x-forwarded-for': address, ...headers },
  });
}

describe('new anonymous learners per client address', () => {
  it('creates at most the limit of learners from one address; the rest get a localized 429 with Retry-After', async () => {
    const address = '203.0.113.7';
    // A learner from the same address started before the flood (it took one of the budget).
    const known = new BrowserLikeClient(base);
    const first = await known.request(
      'POST',
      `${quiz}?lang=en`,
      { options: [1] },
      {
        headers: { 'x-forwarded-for': address },
      },
    );
    expect(first.status).toBe(200);
    expect(known.jar.get('lab_learner')).toBeTruthy();
    const before = learnerRows();

    const statuses: number[] = [];
    const refusals: Array<{ status: number; json: Record<string, unknown>; headers: Headers }> = [];
    for (let i = 0; i < 20; i++) {
      const path = [quiz + '?lang=es', read, quiz + '?lang=en'][i % 3]!;
      const res = await cookieless(path, address);
      statuses.push(res.status);
      if (res.status === 429) refusals.push(res);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(burst - 1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - (burst - 1));
    expect(statuses.slice(0, burst - 1).every((s) => s === 200)).toBe(true);
    // Rows grew by the requests let through only.
    expect(learnerRows()).toBe(before + burst - 1);
    for (const refused of refusals) {
      expect(refused.json.error).toBe('too_many_learners');
      const wait = Number(refused.headers.get('retry-after'));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60);
    }
    const es = await cookieless(`${quiz}?lang=es`, address);
    expect(es.status).toBe(429);
    expect(String(es.json.message)).toMatch(/^Se han empezado demasiados alumnos nuevos desde esta dirección\./);
    expect(String(es.json.message)).toContain(`${es.headers.get('retry-after')} s`);
    // A refused request sets no learner cookie: it did not start one.
    const probe = new BrowserLikeClient(base);
    await probe.request('POST', read, undefined, { headers: { 'x-forwarded-for': address } });
    expect(probe.jar.has('lab_learner')).toBe(false);
    const en = await cookieless(read, address, { 'accept-language': 'en-GB,en;q=0.9' });
    expect(String(en.json.message)).toMatch(/^Too many new learners were started from this address\./);
    // Without ?lang= nor an English preference: the course's default locale (Spanish).
    expect(String((await cookieless(read, address)).json.message)).toMatch(/^Se han empezado/);
    // No row was added by any refused request.
    expect(learnerRows()).toBe(before + burst - 1);

    // The learner with a cookie is never affected, from the same exhausted address.
    for (let i = 0; i < 8; i++) {
      const res = await known.request(
        'POST',
        `${quiz}?lang=en`,
        { options: [i % 2] },
        {
          headers: { 'x-forwarded-for': address },
        },
      );
      expect(res.status).toBe(200);
    }
    expect((await known.request('POST', read, undefined, { headers: { 'x-forwarded-for': address } })).status).toBe(
      200,
    );
    const progress = await known.request('GET', '/api/progress', undefined, {
      headers: { 'x-forwarded-for': address },
    });
    expect(progress.json.quizzes).toMatchObject([{ quiz: 'grader-1', attempts: 9 }]);
    expect(learnerRows()).toBe(before + burst - 1);
  });

  it('counts hints too, and keys each forwarded client address on its own', async () => {
    const address = '198.51.100.20';
    const statuses: number[] = [];
    for (let i = 0; i < burst + 3; i++) statuses.push((await cookieless(`${hint}?lang=en`, address)).status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(statuses.slice(0, burst).every((s) => s !== 429)).toBe(true);
    // Another address behind the same proxy has its own budget.
    expect((await cookieless(`${quiz}?lang=en`, '198.51.100.21')).status).toBe(200);
  });

  it('does not count reads of progress, which start no row', async () => {
    const address = '192.0.2.55';
    for (let i = 0; i < burst + 3; i++) {
      const res = await new BrowserLikeClient(base).request('GET', '/api/progress', undefined, {
        headers: { 'x-forwarded-for': address },
      });
      expect(res.status).toBe(200);
    }
    expect((await cookieless(`${quiz}?lang=en`, address)).status).toBe(200);
  });
});
