import { defaultLocale, locales, type Locale } from '../content-schema/module.ts';

export { defaultLocale, locales, type Locale };

const strings = {
  es: {
    'site.title': 'Seguridad en Kubernetes',
    'site.tagline': 'Un curso práctico con laboratorios reales y corrección automática.',
    'home.modules': 'Módulos',
    'home.empty': 'Todavía no hay módulos publicados.',
    'module.minutes': '{n} min',
    'module.back': 'Volver a los módulos',
    'nav.language': 'Idioma',
    'nav.skip': 'Saltar al contenido',
  },
  en: {
    'site.title': 'Kubernetes Security',
    'site.tagline': 'A hands-on course with real labs and automatic grading.',
    'home.modules': 'Modules',
    'home.empty': 'No modules have been published yet.',
    'module.minutes': '{n} min',
    'module.back': 'Back to modules',
    'nav.language': 'Language',
    'nav.skip': 'Skip to content',
  },
} as const satisfies Record<Locale, Record<string, string>>;

export type UiKey = keyof (typeof strings)['es'];

export function isLocale(value: string | undefined): value is Locale {
  return (locales as readonly string[]).includes(value ?? '');
}

/** Translate a UI string, filling {placeholders}. */
export function t(locale: Locale, key: UiKey, params: Record<string, string | number> = {}): string {
  const template: string = strings[locale][key];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export const uiStrings = strings;
