import type { Locale } from './locales.ts';

export type Params = Record<string, string | number>;

/** Fills {placeholders}; an unknown one stays visible so a missing parameter is noticed, not hidden. */
export function fill(template: string, params: Params = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/**
 * One translation function for a dictionary of learner-facing strings in every locale. The type
 * demands the same keys in each locale, so a text missing in one language does not compile.
 */
export function translator<K extends string>(
  dictionary: Record<Locale, Record<K, string>>,
): (locale: Locale, key: K, params?: Params) => string {
  return (locale, key, params) => fill(dictionary[locale][key], params);
}
