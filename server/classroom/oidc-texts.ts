import { translator } from '../../src/contracts/translator.ts';

/** What the OIDC sign-in says when it cannot finish, in every course locale. */
const texts = {
  es: {
    site: 'Seguridad en Kubernetes',
    title: 'No se pudo iniciar sesión',
    intro: 'El inicio de sesión con la cuenta del centro no se completó: {reason}.',
    'reason.state': 'el inicio de sesión caducó o empezó en otro navegador',
    'reason.provider': 'el proveedor de identidad lo rechazó',
    'reason.response': 'la respuesta del proveedor de identidad no superó las comprobaciones',
    'reason.unavailable': 'no se pudo contactar con el proveedor de identidad',
    again: 'Volver a intentarlo',
    back: 'Volver al curso',
  },
  en: {
    site: 'Kubernetes Security',
    title: 'Sign-in failed',
    intro: 'Signing in with your school account did not complete: {reason}.',
    'reason.state': 'the sign-in expired or was started in another browser',
    'reason.provider': 'the identity provider refused it',
    'reason.response': 'the identity provider’s answer did not pass the checks',
    'reason.unavailable': 'the identity provider could not be reached',
    again: 'Try again',
    back: 'Back to the course',
  },
} as const;

export type OidcTextKey = keyof (typeof texts)['en'];

export const oidcText = translator<OidcTextKey>(texts);
