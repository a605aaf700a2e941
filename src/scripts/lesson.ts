/**
 * Lesson pages: quizzes are graded by the lab server (the page has no answer key), and the lesson
 * is recorded as read once its end scrolls into view. Without the lab server (a static copy of the
 * site) a quiz says so in the page's language.
 */
import type { LastQuizAnswer, LessonQuizzesResult, QuizVerdict } from '../contracts/lessons.ts';
import { inlineMarkdown } from './inline-markdown.ts';

function post(path: string, body?: unknown): Promise<Response> {
  const csrf = /(?:^|;\s*)lab_csrf=([^;]+)/.exec(document.cookie)?.[1];
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (csrf) headers['x-csrf-token'] = decodeURIComponent(csrf);
  return fetch(path, { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(body ?? {}) });
}

/** Shows a last answer again in its form, unless the learner already acted there. */
const restorers = new Map<string, (last: LastQuizAnswer) => void>();

for (const form of document.querySelectorAll<HTMLFormElement>('form.quiz')) {
  const d = form.dataset;
  const feedback = form.querySelector<HTMLElement>('.quiz-feedback')!;
  const explanation = form.querySelector<HTMLElement>('.quiz-explanation')!;
  const say = (kind: string, key: string, more?: string | null) => {
    feedback.className = `quiz-feedback ${kind}`;
    feedback.textContent = d[key] ?? '';
    explanation.replaceChildren(...inlineMarkdown(more ?? ''));
    explanation.hidden = !more;
  };
  let touched = false;
  form.addEventListener('input', () => (touched = true));
  restorers.set(d.quiz ?? '', (last) => {
    if (touched) return;
    const inputs = [...form.querySelectorAll('input')];
    const text = inputs.find((i) => i.type === 'text');
    if ('text' in last.answer) {
      if (!text) return;
      text.value = last.answer.text;
    } else {
      const chosen = last.answer.options;
      for (const input of inputs) input.checked = chosen.includes(Number(input.value));
    }
    say(last.right ? 'ok' : 'ko', last.right ? 'right' : 'wrong', last.explanation);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    touched = true;
    const inputs = [...form.querySelectorAll('input')];
    const text = inputs.find((i) => i.type === 'text');
    const options = inputs.filter((i) => i.checked).map((i) => Number(i.value));
    if (text ? !text.value.trim() : !options.length) return say('', 'choose');
    const url = `/api/lessons/${d.module}/${d.lesson}/quizzes/${d.quiz}?lang=${document.documentElement.lang}`;
    post(url, text ? { text: text.value } : { options })
      .then(async (res) => {
        const json = (await res.json().catch(() => undefined)) as (QuizVerdict & { error?: string }) | undefined;
        // Not the lab server's answer (a static host's page) or no lesson API there: no server to grade.
        if (!json || (res.status === 404 && json.error === 'not_found')) return say('off', 'offline');
        if (!res.ok)
          return say('ko', json.error === 'rate_limited' || json.error === 'too_many_learners' ? 'limited' : 'error');
        say(json.right ? 'ok' : 'ko', json.right ? 'right' : 'wrong', json.explanation);
      })
      .catch(() => say('off', 'offline'));
  });
}

// The learner's last answers come from the lab server's progress (not this browser's storage), so
// a reopened lesson shows what was chosen and whether it was right. No server: nothing to show.
const first = document.querySelector<HTMLFormElement>('form.quiz');
if (first) {
  const { module, lesson } = first.dataset;
  fetch(`/api/lessons/${module}/${lesson}/quizzes?lang=${document.documentElement.lang}`, {
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  })
    .then(async (res) => (res.ok ? ((await res.json()) as LessonQuizzesResult) : undefined))
    .then((json) => {
      for (const last of json?.quizzes ?? []) restorers.get(last.quiz)?.(last);
    })
    .catch(() => undefined);
}

const end = document.querySelector<HTMLElement>('[data-lesson-end]');
if (end && 'IntersectionObserver' in window) {
  const seen = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    seen.disconnect();
    post(`/api/lessons/${end.dataset.module}/${end.dataset.lesson}/read`).catch(() => undefined);
  });
  seen.observe(end);
}
