export type Locale = 'es' | 'en';

/** Learner-facing grader texts in both course languages. */
const texts = {
  es: {
    'assert.missing': 'No existe {what}.',
    'assert.none': 'No hay ningún {kind} que coincida en {where}.',
    'assert.mismatch': '{what} no tiene lo esperado:',
    'assert.pass': '{what} está como se espera.',
    'absent.present': '{what} todavía existe y debería haberse eliminado.',
    'absent.pass': '{what} no existe, como se espera.',
    'admission.expectedDenied': 'El clúster admitió {what}, pero debería rechazarlo.',
    'admission.expectedAllowed': 'El clúster rechazó {what}, pero debería admitirlo: {reason}',
    'admission.wrongMessage': 'El clúster rechazó {what}, pero el motivo no menciona «{text}»: {reason}',
    'admission.passDenied': 'El clúster rechaza {what}, como se espera.',
    'admission.passAllowed': 'El clúster admite {what}, como se espera.',
    'cani.expectedYes': '{who} no puede {verb} {resource}{scope}, pero debería poder.',
    'cani.expectedNo': '{who} puede {verb} {resource}{scope}, pero no debería poder.',
    'cani.passYes': '{who} puede {verb} {resource}{scope}.',
    'cani.passNo': '{who} no puede {verb} {resource}{scope}.',
    'file.missing': 'No encuentro el archivo {path}.',
    'file.unparsable': 'El archivo {path} no es {format} válido: {error}',
    'file.noMatch': 'El archivo {path} no contiene lo esperado ({pattern}).',
    'file.expect': 'En {path}, {field}: se esperaba {expected} y hay {actual}.',
    'file.trivy': 'El archivo {path} no es un informe JSON de Trivy válido para {image}: {problem}',
    'file.pass': 'El archivo {path} es correcto.',
    'command.missing': 'No has ejecutado todavía un comando que coincida con {pattern}{exit}.',
    'command.pass': 'Has ejecutado «{command}».',
    'script.fail': 'La comprobación terminó con código {code}: {output}',
    'script.timeout': 'La comprobación tardó más de {seconds} s.',
    'script.pass': 'La comprobación terminó bien.',
    'check.timeout': 'La comprobación tardó más de {seconds} s y se canceló.',
    'check.error': 'La comprobación no se pudo completar: {error}',
    'scope.namespace': ' en el namespace {ns}',
    'scope.cluster': ' en todo el clúster',
  },
  en: {
    'assert.missing': '{what} does not exist.',
    'assert.none': 'No {kind} matches in {where}.',
    'assert.mismatch': '{what} is not as expected:',
    'assert.pass': '{what} is as expected.',
    'absent.present': '{what} still exists and should be gone.',
    'absent.pass': '{what} does not exist, as expected.',
    'admission.expectedDenied': 'The cluster admitted {what}, but it should reject it.',
    'admission.expectedAllowed': 'The cluster rejected {what}, but it should admit it: {reason}',
    'admission.wrongMessage': 'The cluster rejected {what}, but the reason does not mention "{text}": {reason}',
    'admission.passDenied': 'The cluster rejects {what}, as expected.',
    'admission.passAllowed': 'The cluster admits {what}, as expected.',
    'cani.expectedYes': '{who} cannot {verb} {resource}{scope}, but should be able to.',
    'cani.expectedNo': '{who} can {verb} {resource}{scope}, but should not be able to.',
    'cani.passYes': '{who} can {verb} {resource}{scope}.',
    'cani.passNo': '{who} cannot {verb} {resource}{scope}.',
    'file.missing': 'The file {path} was not found.',
    'file.unparsable': 'The file {path} is not valid {format}: {error}',
    'file.noMatch': 'The file {path} does not contain what is expected ({pattern}).',
    'file.expect': 'In {path}, {field}: expected {expected}, found {actual}.',
    'file.trivy': 'The file {path} is not a valid Trivy JSON report for {image}: {problem}',
    'file.pass': 'The file {path} is correct.',
    'command.missing': 'You have not run a command matching {pattern}{exit} yet.',
    'command.pass': 'You ran "{command}".',
    'script.fail': 'The check ended with code {code}: {output}',
    'script.timeout': 'The check took longer than {seconds} s.',
    'script.pass': 'The check passed.',
    'check.timeout': 'The check took longer than {seconds} s and was stopped.',
    'check.error': 'The check could not be completed: {error}',
    'scope.namespace': ' in namespace {ns}',
    'scope.cluster': ' cluster-wide',
  },
} as const;

export type MessageKey = keyof (typeof texts)['en'];

export function message(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  return (texts[locale][key] as string).replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export const graderTexts = texts;
