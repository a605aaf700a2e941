import type { Environment } from '@marcbachmann/cel-js';
import { celError } from '../errors.ts';

type Comparable = bigint | number | string | boolean;

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'bigint' && typeof b === 'number') return Number(a) < b ? -1 : Number(a) > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'bigint') return a < Number(b) ? -1 : a > Number(b) ? 1 : 0;
  if (
    a === null ||
    b === null ||
    typeof a !== typeof b ||
    !['bigint', 'number', 'string', 'boolean'].includes(typeof a)
  )
    throw celError('no such overload');
  const x = a as Comparable;
  const y = b as Comparable;
  return x < y ? -1 : x > y ? 1 : 0;
}

function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' && typeof b === 'number') return Number(a) === b;
  if (typeof a === 'number' && typeof b === 'bigint') return a === Number(b);
  if (a === b) return true;
  if (a && b && typeof a === 'object' && typeof b === 'object')
    return (
      JSON.stringify(a, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ===
      JSON.stringify(b, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))
    );
  return false;
}

function extreme(list: unknown[], sign: 1 | -1, name: string): unknown {
  if (list.length === 0) throw celError(`${name}(list) called on empty list`);
  return list.reduce((best, v) => (compare(v, best) * sign > 0 ? v : best));
}

function flatten(list: unknown[], depth: number): unknown[] {
  if (depth < 0) throw celError('level must be non-negative');
  const out: unknown[] = [];
  for (const v of list) {
    if (Array.isArray(v) && depth > 0) out.push(...flatten(v, depth - 1));
    else out.push(v);
  }
  return out;
}

class SetsNamespace {}
class ListsNamespace {}
class MathNamespace {}
class Base64Namespace {}
class StringsNamespace {}

/** Kubernetes' lists library plus cel-go's lists, sets and math extensions. */
export function registerCollections(env: Environment): void {
  // k8s.io/apiserver/pkg/cel/library/lists.go
  env.registerFunction('list.isSorted(): bool', (l: unknown[]) =>
    l.every((v, i) => i === 0 || compare(l[i - 1], v) <= 0),
  );
  env.registerFunction('list.sum(): dyn', (l: unknown[]) => {
    if (l.length === 0) return 0n;
    return l.reduce((a, b) => {
      if (typeof a === 'bigint' && typeof b === 'bigint') return a + b;
      if (typeof a === 'number' && typeof b === 'number') return a + b;
      throw celError('no such overload');
    });
  });
  env.registerFunction('list.min(): dyn', (l: unknown[]) => extreme(l, -1, 'min'));
  env.registerFunction('list.max(): dyn', (l: unknown[]) => extreme(l, 1, 'max'));
  env.registerFunction('list.indexOf(dyn): int', (l: unknown[], v: unknown) => BigInt(l.findIndex((x) => equal(x, v))));
  env.registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], v: unknown) => {
    for (let i = l.length - 1; i >= 0; i--) if (equal(l[i], v)) return BigInt(i);
    return -1n;
  });
  // cel-go ext.Lists
  env.registerFunction('list.slice(int, int): list', (l: unknown[], a: bigint, b: bigint) => {
    if (a < 0n || b < 0n) throw celError(`cannot slice(${a}, ${b}), negative indexes not supported`);
    if (a > b) throw celError(`cannot slice(${a}, ${b}), start index must be less than or equal to end index`);
    if (b > BigInt(l.length)) throw celError(`cannot slice(${a}, ${b}), list is length ${l.length}`);
    return l.slice(Number(a), Number(b));
  });
  env.registerFunction('list.flatten(): list', (l: unknown[]) => flatten(l, 1));
  env.registerFunction('list.flatten(int): list', (l: unknown[], d: bigint) => flatten(l, Number(d)));
  env.registerFunction('list.distinct(): list', (l: unknown[]) =>
    l.filter((v, i) => l.findIndex((x) => equal(x, v)) === i),
  );
  env.registerFunction('list.reverse(): list', (l: unknown[]) => [...l].reverse());
  env.registerFunction('list.sort(): list', (l: unknown[]) => [...l].sort(compare));
  env.registerFunction('list.first(): optional<dyn>', function first(this: unknown, l: unknown[]) {
    return optionalOf(l.length ? l[0] : undefined);
  });
  env.registerFunction('list.last(): optional<dyn>', (l: unknown[]) =>
    optionalOf(l.length ? l[l.length - 1] : undefined),
  );
  env.registerType('ListsNamespace', ListsNamespace);
  env.registerConstant('lists', 'ListsNamespace', new ListsNamespace());
  env.registerFunction('ListsNamespace.range(int): list<int>', (_: unknown, n: bigint) =>
    Array.from({ length: Number(n) }, (__, i) => BigInt(i)),
  );
  // cel-go ext.Sets
  env.registerType('SetsNamespace', SetsNamespace);
  env.registerConstant('sets', 'SetsNamespace', new SetsNamespace());
  const contains = (a: unknown[], b: unknown[]) => b.every((y) => a.some((x) => equal(x, y)));
  env.registerFunction('SetsNamespace.contains(list, list): bool', (_: unknown, a: unknown[], b: unknown[]) =>
    contains(a, b),
  );
  env.registerFunction(
    'SetsNamespace.equivalent(list, list): bool',
    (_: unknown, a: unknown[], b: unknown[]) => contains(a, b) && contains(b, a),
  );
  env.registerFunction('SetsNamespace.intersects(list, list): bool', (_: unknown, a: unknown[], b: unknown[]) =>
    a.some((x) => b.some((y) => equal(x, y))),
  );
  // cel-go ext.Math (the functions policies use)
  env.registerType('MathNamespace', MathNamespace);
  env.registerConstant('math', 'MathNamespace', new MathNamespace());
  for (const [name, sign] of [
    ['greatest', 1],
    ['least', -1],
  ] as const) {
    env.registerFunction(`MathNamespace.${name}(list): dyn`, (_: unknown, l: unknown[]) =>
      extreme(l, sign, `math.${name}`),
    );
    env.registerFunction(`MathNamespace.${name}(dyn, dyn): dyn`, (_: unknown, a: unknown, b: unknown) =>
      extreme([a, b], sign, `math.${name}`),
    );
    env.registerFunction(
      `MathNamespace.${name}(dyn, dyn, dyn): dyn`,
      (_: unknown, a: unknown, b: unknown, c: unknown) => extreme([a, b, c], sign, `math.${name}`),
    );
  }
  env.registerFunction('MathNamespace.abs(int): int', (_: unknown, v: bigint) => (v < 0n ? -v : v));
  env.registerFunction('MathNamespace.abs(double): double', (_: unknown, v: number) => Math.abs(v));
  env.registerFunction('MathNamespace.ceil(double): double', (_: unknown, v: number) => Math.ceil(v));
  env.registerFunction('MathNamespace.floor(double): double', (_: unknown, v: number) => Math.floor(v));
  env.registerFunction(
    'MathNamespace.round(double): double',
    (_: unknown, v: number) => Math.sign(v) * Math.round(Math.abs(v)),
  );
  env.registerFunction('MathNamespace.sqrt(double): double', (_: unknown, v: number) => Math.sqrt(v));
  env.registerFunction('MathNamespace.isNaN(double): bool', (_: unknown, v: number) => Number.isNaN(v));
  env.registerFunction(
    'MathNamespace.isInf(double): bool',
    (_: unknown, v: number) => !Number.isFinite(v) && !Number.isNaN(v),
  );
  // cel-go ext.Encoders
  env.registerType('Base64Namespace', Base64Namespace);
  env.registerConstant('base64', 'Base64Namespace', new Base64Namespace());
  env.registerFunction('Base64Namespace.encode(bytes): string', (_: unknown, b: Uint8Array) =>
    Buffer.from(b).toString('base64'),
  );
  env.registerFunction('Base64Namespace.decode(string): bytes', (_: unknown, s: string) => {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw celError('illegal base64 data');
    return new Uint8Array(Buffer.from(s, 'base64'));
  });
  // cel-go ext.Strings beyond what cel-js ships
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    const chars = [...s];
    if (i < 0n || i > BigInt(chars.length)) throw celError(`index out of range: ${i}`);
    return chars[Number(i)] ?? '';
  });
  env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) =>
    s.split(a).join(b),
  );
  env.registerFunction('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => {
    if (n < 0n) return s.split(a).join(b);
    const parts = s.split(a);
    const k = Math.min(Number(n), parts.length - 1);
    return parts.slice(0, k + 1).join(b) + (k + 1 < parts.length ? a + parts.slice(k + 1).join(a) : '');
  });
  env.registerFunction('string.reverse(): string', (s: string) => [...s].reverse().join(''));
  env.registerType('StringsNamespace', StringsNamespace);
  env.registerConstant('strings', 'StringsNamespace', new StringsNamespace());
  env.registerFunction('StringsNamespace.quote(string): string', (_: unknown, s: string) => JSON.stringify(s));
  env.registerFunction('string.format(list): string', (s: string, args: unknown[]) => formatString(s, args));
  // k8s.io/apiserver/pkg/cel/library/regex.go (RE2 syntax is close enough to JavaScript's for these)
  env.registerFunction('string.find(string): string', (s: string, re: string) => new RegExp(re).exec(s)?.[0] ?? '');
  env.registerFunction('string.findAll(string): list<string>', (s: string, re: string) =>
    [...s.matchAll(new RegExp(re, 'g'))].map((m) => m[0]),
  );
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, re: string, n: bigint) => {
    const all = [...s.matchAll(new RegExp(re, 'g'))].map((m) => m[0]);
    return n < 0n ? all : all.slice(0, Number(n));
  });
}

let optionalFactory: ((v: unknown) => unknown) | undefined;
/** cel-js keeps Optional internal; the environment hands us its constructor at start-up. */
export function setOptionalFactory(factory: (v: unknown) => unknown): void {
  optionalFactory = factory;
}
export function optionalOf(value: unknown): unknown {
  if (!optionalFactory) throw celError('optional types are not enabled');
  return optionalFactory(value);
}

function formatValue(verb: string, value: unknown): string {
  switch (verb) {
    case 'd':
      if (typeof value !== 'bigint')
        throw celError(
          `error during formatting: decimal clause can only be used on integers, was given ${typeof value}`,
        );
      return String(value);
    case 'f':
      return Number(value).toFixed(6);
    case 'x':
      return typeof value === 'string' ? Buffer.from(value).toString('hex') : BigInt(value as bigint).toString(16);
    case 'X':
      return (
        typeof value === 'string' ? Buffer.from(value).toString('hex') : BigInt(value as bigint).toString(16)
      ).toUpperCase();
    case 'o':
      return BigInt(value as bigint).toString(8);
    case 'b':
      return typeof value === 'boolean' ? String(value) : BigInt(value as bigint).toString(2);
    case 'e':
      return Number(value)
        .toExponential(6)
        .replace(/e([+-])(\d)$/, 'e$10$2');
    default:
      if (Array.isArray(value)) return `[${value.map((v) => formatValue('s', v)).join(', ')}]`;
      if (value === null) return 'null';
      if (typeof value === 'object' && value && Object.getPrototypeOf(value) === Object.prototype)
        return `{${Object.entries(value)
          .map(([k, v]) => `${formatValue('s', k)}:${formatValue('s', v)}`)
          .join(', ')}}`;
      return String(value);
  }
}

function formatString(template: string, args: unknown[]): string {
  let i = 0;
  return template.replace(/%(?:\.(\d+))?([sdfxXobe%])/g, (_, precision: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) throw celError(`index ${i} out of range`);
    const value = args[i++];
    if (verb === 'f' && precision !== undefined) return Number(value).toFixed(Number(precision));
    return formatValue(verb, value);
  });
}
