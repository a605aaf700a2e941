import type { Locale } from '../../src/contracts/locales.ts';
import { translator } from '../../src/contracts/translator.ts';

/** The runner's own texts; each check kind carries its texts in its plug-in. */
const texts = {
  es: {
    'check.timeout': 'La comprobación tardó más de {seconds} s y se canceló.',
    'check.error': 'La comprobación no se pudo completar: {error}',
    'check.unknownKind': 'Este laboratorio usa un tipo de comprobación desconocido: {kind}.',
    'exercise.backend':
      'Este ejercicio solo se puede corregir en el backend {backends} (contenedores reales), y esta sesión usa el backend {backend}. Lee la solución guiada y sigue con los demás ejercicios.',
    'file.outside':
      'El archivo {path} apunta fuera de tu carpeta personal (HOME); solo se corrigen archivos dentro de ella.',
    'file.notFile': '{path} no es un archivo normal.',
    'file.tooLarge': 'El archivo {path} es demasiado grande para corregirlo (más de {limit}).',
  },
  en: {
    'check.timeout': 'The check took longer than {seconds} s and was stopped.',
    'check.error': 'The check could not be completed: {error}',
    'check.unknownKind': 'This lab uses an unknown kind of check: {kind}.',
    'exercise.backend':
      'This exercise can only be graded on the {backends} backend (real containers), and this session runs on the {backend} backend. Read the walkthrough and go on with the other exercises.',
    'file.outside': 'The file {path} points outside your HOME folder; only files inside it are graded.',
    'file.notFile': '{path} is not a regular file.',
    'file.tooLarge': 'The file {path} is too large to grade (over {limit}).',
  },
} as const;

export type MessageKey = keyof (typeof texts)['en'];

export const message: (locale: Locale, key: MessageKey, params?: Record<string, string | number>) => string =
  translator<MessageKey>(texts);
