import { translator } from '../../src/contracts/translator.ts';

/** What the lab API says when one address starts too many new anonymous learners, in every course locale. */
const texts = {
  es: {
    newLearners:
      'Se han empezado demasiados alumnos nuevos desde esta dirección. Activa las cookies de este sitio o espera {seconds} s y vuelve a intentarlo.',
  },
  en: {
    newLearners:
      'Too many new learners were started from this address. Allow cookies for this site, or wait {seconds} s and try again.',
  },
} as const;

export type LimitTextKey = keyof (typeof texts)['en'];

export const limitText = translator<LimitTextKey>(texts);
