import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Quiz } from '../../src/contracts/content.ts';
import {
  lessonIdPattern,
  type LessonQuizzesResult,
  type LessonReadResult,
  type QuizVerdict,
} from '../../src/contracts/lessons.ts';
import { defaultLocale, toLocale, type Locale } from '../../src/contracts/locales.ts';
import { ApiError, type ProgressResult } from '../../src/contracts/protocol.ts';
import { readJson, sendJson } from '../http/json.ts';
import { RateLimiter } from '../http/security.ts';
import type { LessonProgressStore } from '../lab/store/types.ts';
import { lessonKey, type CatalogLesson, type LessonCatalog } from './catalog.ts';
import { gradeQuiz, parseAnswer } from './grade.ts';

const id = lessonIdPattern;
const quizPath = new RegExp(`^/api/lessons/(${id})/(${id})/quizzes/(${id})$`);
const readPath = new RegExp(`^/api/lessons/(${id})/(${id})/read$`);
const answersPath = new RegExp(`^/api/lessons/(${id})/(${id})/quizzes$`);

/** The lesson part of the lab API: quizzes graded on the server, lessons read, both kept in progress. */
export interface LessonApi {
  /** Handles /api/lessons/… for an identified learner; false for any other path. */
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    learner: string,
    headers: Record<string, string[]>,
  ): Promise<boolean>;
  progress(learner: string): Promise<Required<Pick<ProgressResult, 'lessons' | 'quizzes'>>>;
}

export function createLessonApi(
  catalog: LessonCatalog,
  store: LessonProgressStore,
  limits: { burst: number; perMinute: number },
): LessonApi {
  const answers = new RateLimiter(limits.burst, limits.perMinute);
  const lessonOf = (module: string, lesson: string): CatalogLesson => {
    const found = catalog.get(lessonKey(module, lesson));
    if (!found) throw new ApiError(404, 'unknown_lesson', `There is no lesson ${module}/${lesson}.`);
    return found;
  };
  // Quiz ids and answer keys are the same in every locale (test/foundation/site-parity.test.ts).
  // Own keys only: an id such as "constructor" is not a quiz.
  const keyOf = (entry: CatalogLesson, quizId: string, locale: Locale): Quiz | undefined => {
    const own = (quizzes: Record<string, Quiz> | undefined) =>
      quizzes && Object.hasOwn(quizzes, quizId) ? quizzes[quizId] : undefined;
    return (
      own(entry.quizzes[locale]) ??
      own(entry.quizzes[defaultLocale]) ??
      Object.values(entry.quizzes).map(own).find(Boolean)
    );
  };
  const take = (learner: string) => {
    const wait = answers.take(learner);
    if (wait !== undefined) throw new ApiError(429, 'rate_limited', `Too many answers; try again in ${wait} s.`);
  };
  return {
    async handle(req, res, url, learner, headers) {
      const path = url.pathname.replace(/\/+$/, '');
      if (!path.startsWith('/api/lessons/')) return false;
      const quiz = quizPath.exec(path);
      const read = readPath.exec(path);
      const answers = answersPath.exec(path);
      if (!quiz && !read && !answers) throw new ApiError(404, 'not_found', `No API endpoint at ${path}`);
      if (answers && req.method !== 'GET')
        throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
      if (answers && req.method === 'GET') {
        // The learner's last answers, graded as they were, for a reopened lesson to show again.
        const [, module, lesson] = answers as unknown as [string, string, string];
        const entry = lessonOf(module, lesson);
        const locale = toLocale(url.searchParams.get('lang'));
        const body: LessonQuizzesResult = { quizzes: [] };
        for (const last of await store.lastAnswers(learner, module, lesson)) {
          const key = keyOf(entry, last.quiz, locale);
          if (!key) continue; // a quiz since removed from the lesson
          body.quizzes.push({ ...last, explanation: last.right ? (key.explanation ?? null) : null });
        }
        sendJson(res, 200, body, headers);
        return true;
      }
      if (req.method !== 'POST')
        throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
      if (read) {
        const [, module, lesson] = read as unknown as [string, string, string];
        lessonOf(module, lesson);
        take(learner);
        await store.recordLessonRead(learner, module, lesson);
        const body: LessonReadResult = { module, lesson, read: true };
        sendJson(res, 200, body, headers);
        return true;
      }
      const [, module, lesson, quizId] = quiz as unknown as [string, string, string, string];
      const entry = lessonOf(module, lesson);
      const locale = toLocale(url.searchParams.get('lang'));
      const key = keyOf(entry, quizId, locale);
      if (!key) throw new ApiError(404, 'unknown_quiz', `The lesson ${module}/${lesson} has no quiz ${quizId}.`);
      const answer = parseAnswer(key, await readJson(req));
      take(learner);
      const right = gradeQuiz(key, answer);
      await store.recordQuizAnswer(learner, module, lesson, quizId, right, answer);
      const verdict: QuizVerdict = { quiz: quizId, right, explanation: right ? (key.explanation ?? null) : null };
      sendJson(res, 200, verdict, headers);
      return true;
    },
    async progress(learner) {
      const [lessons, quizzes] = await Promise.all([store.lessonsReadBy(learner), store.quizzesOf(learner)]);
      return { lessons, quizzes };
    },
  };
}
