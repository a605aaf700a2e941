/** Locales the course is written in, for the site, the lab server, the graders and the CLI. Spanish is the default. */
export const locales = ['es', 'en'] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = 'es';

/** Locale names in English, for authoring messages (`labs validate`). */
export const localeNames: Record<Locale, string> = { es: 'Spanish', en: 'English' };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/** Any untrusted value (a query parameter, a path segment) as a course locale; unknown ones get the default. */
export function toLocale(value: unknown): Locale {
  return isLocale(value) ? value : defaultLocale;
}
