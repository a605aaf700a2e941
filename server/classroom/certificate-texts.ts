import type { Locale } from '../../src/contracts/locales.ts';
import { translator } from '../../src/contracts/translator.ts';

/** What certificate pages and PDFs say, in every course locale. */
const texts = {
  es: {
    course: 'Seguridad en Kubernetes',
    heading: 'Certificado de finalización',
    certifies: 'Se certifica que',
    completed: 'ha completado el módulo',
    ofCourse: 'del curso «Seguridad en Kubernetes», superando todos sus ejercicios corregidos.',
    date: 'Fecha',
    certificateId: 'Identificador',
    verifyAt: 'Verificación',
    download: 'Descargar el certificado en PDF',
    'verify.title': 'Verificación de un certificado',
    'verify.valid': 'Certificado válido',
    'verify.validText': '{name} completó el módulo «{module}» el {date}.',
    'verify.revoked': 'Certificado revocado',
    'verify.revokedText': 'Este certificado fue revocado el {date} y ya no es válido.',
    'verify.invalid': 'Certificado no válido',
    'verify.invalidText': 'Ningún certificado válido tiene este identificador: no se emitió aquí o se ha modificado.',
    'verify.otherLanguage': 'Ver esta página en inglés',
  },
  en: {
    course: 'Kubernetes Security',
    heading: 'Certificate of completion',
    certifies: 'This certifies that',
    completed: 'has completed the module',
    ofCourse: 'of the course “Kubernetes Security”, passing every one of its graded exercises.',
    date: 'Date',
    certificateId: 'Certificate id',
    verifyAt: 'Verify at',
    download: 'Download the certificate as PDF',
    'verify.title': 'Certificate verification',
    'verify.valid': 'Valid certificate',
    'verify.validText': '{name} completed the module “{module}” on {date}.',
    'verify.revoked': 'Revoked certificate',
    'verify.revokedText': 'This certificate was revoked on {date} and is no longer valid.',
    'verify.invalid': 'Invalid certificate',
    'verify.invalidText': 'No valid certificate has this id: it was not issued here or it was changed.',
    'verify.otherLanguage': 'View this page in Spanish',
  },
} as const;

export type CertificateTextKey = keyof (typeof texts)['en'];

export const certificateText = translator<CertificateTextKey>(texts);

/** A date as the locale writes it ("2 de diciembre de 2026", "December 2, 2026"), in UTC. */
export function certificateDate(locale: Locale, ms: number): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(ms));
}
