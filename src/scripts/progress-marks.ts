import { api, localProgress, saveLocalProgress } from './lab-client.ts';

/**
 * Marks lab cards (data-lab, data-exercises) and module cards whose exercises are all passed:
 * at once from the local copy, then from the server, which is the source of truth (clearing
 * the browser's storage loses nothing).
 */
export function markCompletedLabs(): void {
  paint();
  void api
    .progress()
    .then(({ progress }) => {
      for (const row of progress) if (row.passed) saveLocalProgress(row.lab, row.exercise, true);
      paint();
    })
    .catch(() => undefined);
}

function paint(): void {
  const progress = localProgress();
  const done = (lab: string, exercises: string[]) => exercises.length > 0 && exercises.every((e) => progress[lab]?.[e]);
  for (const card of document.querySelectorAll<HTMLElement>('[data-lab][data-exercises]')) {
    const complete = done(card.dataset.lab!, (card.dataset.exercises ?? '').split(' ').filter(Boolean));
    card.querySelector<HTMLElement>('.lab-done')?.toggleAttribute('hidden', !complete);
    card.classList.toggle('complete', complete);
  }
  for (const card of document.querySelectorAll<HTMLElement>('[data-module-labs]')) {
    const labs = JSON.parse(card.dataset.moduleLabs ?? '{}') as Record<string, string[]>;
    const entries = Object.entries(labs);
    const complete = entries.length > 0 && entries.every(([lab, exercises]) => done(lab, exercises));
    card.querySelector<HTMLElement>('.module-badge')?.toggleAttribute('hidden', !complete);
  }
}
