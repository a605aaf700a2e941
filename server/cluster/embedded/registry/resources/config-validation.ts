import { sameContent } from '../../api/objects.ts';
import { FieldError } from '../../api/status.ts';
import type { KubeObject } from '../../storage/types.ts';

type Obj = Record<string, unknown>;

/** core.MaxSecretSize, which ConfigMaps share. */
const maxSize = 1024 * 1024;
const configKeyRe = /^[-._a-zA-Z0-9]+$/;
const redacted = '<secret contents redacted>';

/** validation.IsConfigMapKey. */
export function configKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push('must be no more than 253 characters');
  if (!configKeyRe.test(key))
    errs.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** Go's encoding/json error for text that is not JSON, for the dockercfg checks. */
function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    const first = text.trimStart()[0];
    if (first === undefined) return 'unexpected end of JSON input';
    if (!/[{["\-0-9tfn]/.test(first)) return `invalid character '${first}' looking for beginning of value`;
    return 'unexpected end of JSON input';
  }
}

/** ValidateSecret's size and per-type checks (keys and base64 are checked beside it). */
export function validateSecretContents(secret: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = (secret.data ?? {}) as Record<string, string>;
  let size = 0;
  for (const [key, value] of Object.entries(data)) {
    for (const msg of configKeyErrors(key)) errs.push(FieldError.invalid(`data[${key}]`, key, msg));
    size += typeof value === 'string' ? Buffer.from(value, 'base64').length : 0;
  }
  if (size > maxSize) errs.push(FieldError.tooLong('data', maxSize));
  const has = (key: string) => Object.hasOwn(data, key);
  const decoded = (key: string) => Buffer.from(data[key] ?? '', 'base64').toString('utf8');
  switch (secret.type) {
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(key)) errs.push(FieldError.required(`data[${key}]`, ''));
      else {
        const error = jsonError(decoded(key));
        if (error) errs.push(FieldError.invalid(`data[${key}]`, redacted, error));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(FieldError.required('data[username]', ''), FieldError.required('data[password]', ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!decoded('ssh-privatekey')) errs.push(FieldError.required('data[ssh-privatekey]', ''));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(FieldError.required('data[tls.crt]', ''));
      if (!has('tls.key')) errs.push(FieldError.required('data[tls.key]', ''));
      break;
  }
  return errs;
}

/** ValidateSecretUpdate and ValidateConfigMapUpdate: type and immutable contents. */
export function validateImmutableConfig(object: KubeObject, old: KubeObject, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (old.kind === 'Secret' && (object.type ?? 'Opaque') !== (old.type ?? 'Opaque'))
    errs.push(FieldError.invalid('type', object.type, 'field is immutable'));
  if (old.immutable !== true) return errs;
  if (object.immutable !== true)
    errs.push(FieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!sameContent((object as Obj)[f] ?? {}, (old as Obj)[f] ?? {}))
      errs.push(FieldError.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

/** ValidateConfigMap: keys of data and binaryData, no key in both, at most 1 MiB. */
export function validateConfigMapContents(cm: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = (cm.data ?? {}) as Record<string, unknown>;
  const binary = (cm.binaryData ?? {}) as Record<string, unknown>;
  let size = 0;
  for (const [key, value] of Object.entries(data)) {
    for (const msg of configKeyErrors(key)) errs.push(FieldError.invalid(`data[${key}]`, key, msg));
    if (Object.hasOwn(binary, key))
      errs.push(FieldError.invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(String(value ?? ''));
  }
  for (const [key, value] of Object.entries(binary)) {
    for (const msg of configKeyErrors(key)) errs.push(FieldError.invalid(`binaryData[${key}]`, key, msg));
    size += Buffer.from(String(value ?? ''), 'base64').length;
  }
  if (size > maxSize) errs.push(FieldError.tooLong('', maxSize));
  return errs;
}
