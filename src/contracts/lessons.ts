/**
 * The lesson side of the lab API, shared by the lesson pages and the lab server. Quizzes are graded
 * on the server: a lesson page carries the questions and options, never the answer key.
 *
 *   POST /api/lessons/:module/:lesson/quizzes/:quiz?lang=es   body QuizAnswer    → QuizVerdict
 *   POST /api/lessons/:module/:lesson/read                                       → LessonReadResult
 *   GET  /api/lessons/:module/:lesson/quizzes?lang=es                             → LessonQuizzesResult
 */

/** The options chosen (their indices), or the text of a short answer. */
export type QuizAnswer = { options: number[] } | { text: string };

/** Longest short answer the server reads. */
export const maxQuizTextLength = 200;

export interface QuizVerdict {
  quiz: string;
  right: boolean;
  /** Why the right answer is right, in the learner's locale; only once the answer is right. */
  explanation: string | null;
}

/** The learner's last answer to one quiz, graded as it was (the explanation only when it was right). */
export interface LastQuizAnswer extends QuizVerdict {
  answer: QuizAnswer;
}

/** The last answers of the learner to a lesson's quizzes, so a reopened lesson shows them again. */
export interface LessonQuizzesResult {
  quizzes: LastQuizAnswer[];
}

export interface LessonReadResult {
  module: string;
  lesson: string;
  read: true;
}

/** A lesson the learner read to its end. */
export interface LessonProgress {
  module: string;
  lesson: string;
  readAt: number;
}

/** What the learner did with one quiz. */
export interface QuizProgress {
  module: string;
  lesson: string;
  quiz: string;
  attempts: number;
  /** Answered right at least once. */
  right: boolean;
  /** The first answer was right. */
  rightFirstTry: boolean;
}

/** Module, lesson and quiz ids in lesson API paths (file names and frontmatter keys). */
export const lessonIdPattern = '[a-z0-9][a-z0-9-]{0,79}';
