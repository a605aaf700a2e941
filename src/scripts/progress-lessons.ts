import type { LessonProgress, QuizProgress } from '../contracts/lessons.ts';
import { plural } from './plural.ts';

/** The lessons part of the progress page, from the server's record: lessons read, quizzes right. */
export function paintLessons(lessons: LessonProgress[], quizzes: QuizProgress[]): void {
  const locale = document.documentElement.lang;
  const read = new Set(lessons.map((l) => `${l.module}/${l.lesson}`));
  const right = new Map<string, number>();
  for (const q of quizzes)
    if (q.right) right.set(`${q.module}/${q.lesson}`, (right.get(`${q.module}/${q.lesson}`) ?? 0) + 1);
  for (const section of document.querySelectorAll<HTMLElement>('.progress-module')) {
    for (const row of section.querySelectorAll<HTMLElement>('tr[data-lesson]')) {
      const key = `${section.dataset.module}/${row.dataset.lesson}`;
      const status = row.querySelector<HTMLElement>('.lesson-status')!;
      if (read.has(key)) status.textContent = status.dataset.read ?? '';
      const total = Number(row.dataset.quizzes);
      if (total) row.querySelector<HTMLElement>('.lesson-quizzes')!.textContent = `${right.get(key) ?? 0}/${total}`;
    }
  }
  const summary = document.querySelector<HTMLElement>('.progress-summary')!;
  const forms = (name: string) => JSON.parse(summary.dataset[name] ?? '{}') as Record<string, string>;
  const answered = quizzes.filter((q) => q.attempts > 0).length;
  summary.querySelector('.summary-lessons')!.textContent = plural(locale, forms('read'), read.size, {
    total: summary.dataset.total ?? 0,
  });
  summary.querySelector('.summary-quizzes')!.textContent =
    `${plural(locale, forms('answered'), answered)}, ${plural(locale, forms('right'), quizzes.filter((q) => q.right).length)}`;
}
