import type { Quiz } from '../../src/contracts/content.ts';
import { maxQuizTextLength, type QuizAnswer } from '../../src/contracts/lessons.ts';
import { ApiError } from '../../src/contracts/protocol.ts';

/** A request body as a quiz answer of the kind this quiz takes; 400 with the reason otherwise. */
export function parseAnswer(quiz: Quiz, body: Record<string, unknown>): QuizAnswer {
  if (quiz.accept) {
    if (typeof body.text !== 'string')
      throw new ApiError(400, 'bad_answer', 'This quiz takes a short answer: send {"text": "…"}.');
    if (body.text.length > maxQuizTextLength)
      throw new ApiError(400, 'bad_answer', `A short answer has at most ${maxQuizTextLength} characters.`);
    return { text: body.text };
  }
  const count = quiz.options!.length;
  const chosen = body.options;
  if (!Array.isArray(chosen) || chosen.length === 0 || !chosen.every((o) => Number.isInteger(o)))
    throw new ApiError(400, 'bad_answer', 'This quiz takes options: send {"options": [index, …]}.');
  const unknown = (chosen as number[]).find((o) => o < 0 || o >= count);
  if (unknown !== undefined)
    throw new ApiError(400, 'unknown_option', `This quiz has no option ${unknown}: its options are 0 to ${count - 1}.`);
  const options = [...new Set(chosen as number[])];
  if (!Array.isArray(quiz.answer) && options.length > 1)
    throw new ApiError(400, 'bad_answer', 'This quiz takes exactly one option.');
  return { options };
}

const normalize = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

/** Whether the answer is right, against the answer key in the lesson's frontmatter. */
export function gradeQuiz(quiz: Quiz, answer: QuizAnswer): boolean {
  if ('text' in answer) return (quiz.accept ?? []).some((a) => normalize(a) === normalize(answer.text));
  const want = [quiz.answer ?? []].flat().sort((a, b) => a - b);
  const got = [...answer.options].sort((a, b) => a - b);
  return want.length === got.length && want.every((v, i) => v === got[i]);
}
