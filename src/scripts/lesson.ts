/**
 * Lesson pages: quizzes are graded by the lab server (the page has no answer key), and the lesson
 * is recorded as read once its end scrolls into view. Without the lab server (a static copy of the
 * site) a quiz says so in the page's language.
 */
import type { QuizVerdict } from '../contracts/lessons.ts';
import { inlineMarkdown } from './inline-markdown.ts';

function post(path: string, body?: unknown): Promise<Response> {
  const csrf = /(?:^|;\s*)lab_csrf=([^;]+)/.exec(document.cookie)?.[1];
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (csrf) headers['x-csrf-token'] = decodeURIComponent(csrf);
  return fetch(path, { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(body ?? {}) });
}

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
  form.addEventListener('submit', (event) => {
    event.preventDefault();
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

const end = document.querySelector<HTMLElement>('[data-lesson-end]');
if (end && 'IntersectionObserver' in window) {
  const seen = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    seen.disconnect();
    post(`/api/lessons/${end.dataset.module}/${end.dataset.lesson}/read`).catch(() => undefined);
  });
  seen.observe(end);
}
