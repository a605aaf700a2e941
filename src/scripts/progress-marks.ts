import { localProgress } from './lab-client.ts';

/** Marks lab cards (data-lab, data-exercises) and module cards whose exercises are all passed. */
export function markCompletedLabs(): void {
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
