import type { Environment } from '@marcbachmann/cel-js';
import { messages } from '../../registry/meta-validation.ts';
import { celError } from '../errors.ts';
import { optionalOf } from './collections.ts';

/** A named string format (k8s.io/apiserver/pkg/cel/library/format.go): validate() lists what is wrong. */
export class Format {
  readonly name: string;
  readonly check: (value: string) => string[];
  constructor(name: string, check: (value: string) => string[]) {
    this.name = name;
    this.check = check;
  }
  toString(): string {
    return this.name;
  }
}

const lengthError = (max: number) => `must be no more than ${max} characters`;
const regexCheck = (re: RegExp, max: number, message: string) => (value: string) => {
  const errs: string[] = [];
  if (value.length > max) errs.push(lengthError(max));
  if (!re.test(value)) errs.push(message);
  return errs;
};
const dns1123Label = regexCheck(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 63, messages.dns1123Label);
const dns1123Subdomain = regexCheck(
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  253,
  messages.dns1123Subdomain,
);
const dns1035Label = regexCheck(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 63, messages.dns1035Label);
const labelValue = regexCheck(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/, 63, messages.labelValue);
const qualifiedName = (value: string): string[] => {
  const slash = value.indexOf('/');
  const name = slash >= 0 ? value.slice(slash + 1) : value;
  const errs: string[] = [];
  if (slash >= 0) {
    const prefix = value.slice(0, slash);
    if (!prefix) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123Subdomain(prefix).map((e) => `prefix part ${e}`));
  }
  if (!name) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${lengthError(63)}`);
  if (name && !/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name)) errs.push(messages.qualifiedName);
  return errs;
};
const prefixed = (check: (v: string) => string[]) => (value: string) =>
  check(value.endsWith('-') ? `${value.slice(0, -1)}a` : value);

const formats: Record<string, (value: string) => string[]> = {
  dns1123Label,
  dns1123Subdomain,
  dns1035Label,
  qualifiedName,
  labelValue,
  dns1123LabelPrefix: prefixed(dns1123Label),
  dns1123SubdomainPrefix: prefixed(dns1123Subdomain),
  dns1035LabelPrefix: prefixed(dns1035Label),
  uri: (v) => {
    try {
      new URL(v);
      return [];
    } catch {
      return ['invalid URI'];
    }
  },
  uuid: (v) =>
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? [] : ['does not match the UUID format'],
  byte: (v) => (/^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0 ? [] : ['invalid base64']),
  date: (v) => (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? [] : ['invalid date']),
  datetime: (v) =>
    /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v))
      ? []
      : ['invalid datetime'],
};

/** A semantic version (k8s.io/apiserver/pkg/cel/library/semverlib.go). */
export class Semver {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly text: string;
  constructor(major: bigint, minor: bigint, patch: bigint, text: string) {
    this.major = major;
    this.minor = minor;
    this.patch = patch;
    this.text = text;
  }
  compare(o: Semver): number {
    for (const k of ['major', 'minor', 'patch'] as const) if (this[k] !== o[k]) return this[k] < o[k] ? -1 : 1;
    return 0;
  }
  toString(): string {
    return this.text;
  }
}

const semverRe = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-.]+)?(?:\+[0-9A-Za-z-.]+)?$/;
function parseSemver(text: string, normalize: boolean): Semver | undefined {
  let t = text;
  if (normalize) {
    t = t.replace(/^v/, '');
    const parts = t.split(/(?=[-+])/);
    const core = parts[0]!.split('.').map((p) => p.replace(/^0+(?=\d)/, ''));
    while (core.length < 3) core.push('0');
    t = [core.join('.'), ...parts.slice(1)].join('');
  }
  const m = semverRe.exec(t);
  return m ? new Semver(BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!), text) : undefined;
}

class FormatNamespace {}

export function registerFormats(env: Environment): void {
  env.registerType('Format', Format);
  env.registerType('FormatNamespace', FormatNamespace);
  env.registerConstant('format', 'FormatNamespace', new FormatNamespace());
  for (const [name, check] of Object.entries(formats)) {
    const format = new Format(name, check);
    env.registerFunction(`FormatNamespace.${name}(): Format`, () => format);
  }
  env.registerFunction('FormatNamespace.named(string): optional<Format>', (_: unknown, name: string) =>
    optionalOf(formats[name] ? new Format(name, formats[name]) : undefined),
  );
  env.registerFunction('Format.validate(string): optional<list<string>>', (f: Format, value: string) => {
    const errs = f.check(value);
    return optionalOf(errs.length ? errs : undefined);
  });

  env.registerType('Semver', Semver);
  env.registerFunction('semver(string): Semver', (t: string) => {
    const v = parseSemver(t, false);
    if (!v) throw celError(`could not parse semver: ${t}`);
    return v;
  });
  env.registerFunction('semver(string, bool): Semver', (t: string, n: boolean) => {
    const v = parseSemver(t, n);
    if (!v) throw celError(`could not parse semver: ${t}`);
    return v;
  });
  env.registerFunction('isSemver(string): bool', (t: string) => parseSemver(t, false) !== undefined);
  env.registerFunction('isSemver(string, bool): bool', (t: string, n: boolean) => parseSemver(t, n) !== undefined);
  env.registerFunction('Semver.major(): int', (v: Semver) => v.major);
  env.registerFunction('Semver.minor(): int', (v: Semver) => v.minor);
  env.registerFunction('Semver.patch(): int', (v: Semver) => v.patch);
  env.registerFunction('Semver.compareTo(Semver): int', (a: Semver, b: Semver) => BigInt(a.compare(b)));
  env.registerFunction('Semver.isLessThan(Semver): bool', (a: Semver, b: Semver) => a.compare(b) < 0);
  env.registerFunction('Semver.isGreaterThan(Semver): bool', (a: Semver, b: Semver) => a.compare(b) > 0);
  env.registerOperator('Semver == Semver', (a: Semver, b: Semver) => a.compare(b) === 0);
}
