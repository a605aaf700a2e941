import type { Locale } from '../../src/contracts/locales.ts';
import { translator } from '../../src/contracts/translator.ts';

/** The runner's own texts; each check kind carries its texts in its plug-in. */
const texts = {
  es: {
    'check.timeout': 'La comprobación tardó más de {seconds} s y se canceló.',
    'check.error': 'La comprobación no se pudo completar: {error}',
    'check.unknownKind': 'Este laboratorio usa un tipo de comprobación desconocido: {kind}.',
  },
  en: {
    'check.timeout': 'The check took longer than {seconds} s and was stopped.',
    'check.error': 'The check could not be completed: {error}',
    'check.unknownKind': 'This lab uses an unknown kind of check: {kind}.',
  },
} as const;

export type MessageKey = keyof (typeof texts)['en'];

export const message: (locale: Locale, key: MessageKey, params?: Record<string, string | number>) => string =
  translator<MessageKey>(texts);
