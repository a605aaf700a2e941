import { uiStrings } from '../../src/i18n/ui.ts';

/**
 * Telltale fragments of the English UI: each English UI string that differs from its Spanish
 * one, cut at its {placeholders}, keeping fragments long enough to be unmistakable.
 */
export function englishFragments(): string[] {
  const fragments = new Set<string>();
  for (const [key, en] of Object.entries(uiStrings.en)) {
    if (en === uiStrings.es[key as keyof typeof uiStrings.es]) continue;
    for (const part of en.split(/\{[a-z]+\}/)) {
      const fragment = part.trim();
      if (fragment.length >= 10 && /\s/.test(fragment)) fragments.add(fragment);
    }
  }
  return [...fragments];
}

/** Which English fragments a Spanish text contains (text in code or marked lang="en" removed first). */
export function englishIn(text: string, fragments = englishFragments()): string[] {
  return fragments.filter((f) => text.includes(f));
}

/** The learner-visible text of a built page: no scripts, styles, code, or parts marked as English. */
export function visibleText(html: string): string {
  return html
    .replace(/<(script|style|pre|code)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<([a-z]+)\b[^>]*\blang="en"[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z#0-9]+;/gi, ' ')
    .replace(/\s+/g, ' ');
}
