import type { Environment } from '@marcbachmann/cel-js';
import { celError } from '../errors.ts';

const binarySuffix: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffix: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const quantityRe = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** A resource.Quantity held exactly: units × 10^scale. */
export class Quantity {
  readonly units: bigint;
  readonly scale: number;
  readonly text: string;
  constructor(units: bigint, scale: number, text: string) {
    this.units = units;
    this.scale = scale;
    this.text = text;
  }

  static parse(text: string): Quantity | undefined {
    const m = quantityRe.exec(text);
    if (!m) return undefined;
    const [int, frac = ''] = m[2]!.split('.');
    let units = BigInt(`${int || '0'}${frac}`) * (m[1] === '-' ? -1n : 1n);
    let scale = -frac.length;
    if (m[3]) scale += Number(m[3].slice(1));
    else if (m[4] && binarySuffix[m[4]] !== undefined) units *= 2n ** BigInt(binarySuffix[m[4]]!);
    else scale += decimalSuffix[m[4] ?? '']!;
    // Kubernetes keeps nano precision and rounds anything finer up.
    if (scale < -9) {
      const div = 10n ** BigInt(-9 - scale);
      const q = units / div;
      units = q * div === units ? q : q + (units > 0n ? 1n : 0n);
      scale = -9;
    }
    return new Quantity(units, scale, text);
  }

  /** Both values as integers at a common scale. */
  private aligned(other: Quantity): [bigint, bigint, number] {
    const scale = Math.min(this.scale, other.scale);
    return [this.units * 10n ** BigInt(this.scale - scale), other.units * 10n ** BigInt(other.scale - scale), scale];
  }

  compare(other: Quantity): number {
    const [a, b] = this.aligned(other);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  plus(other: Quantity, sign: 1n | -1n): Quantity {
    const [a, b, scale] = this.aligned(other);
    const units = a + sign * b;
    return new Quantity(units, scale, canonical(units, scale));
  }

  isInteger(): boolean {
    if (this.scale >= 0) return true;
    return this.units % 10n ** BigInt(-this.scale) === 0n;
  }

  asInteger(): bigint {
    if (!this.isInteger()) throw celError('cannot convert value to integer');
    const value = this.scale >= 0 ? this.units * 10n ** BigInt(this.scale) : this.units / 10n ** BigInt(-this.scale);
    if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) throw celError('cannot convert value to integer');
    return value;
  }

  asFloat(): number {
    return Number(this.units) * 10 ** this.scale;
  }

  toString(): string {
    return this.text;
  }
}

function canonical(units: bigint, scale: number): string {
  if (units === 0n) return '0';
  let u = units;
  let s = scale;
  while (u % 10n === 0n) {
    u /= 10n;
    s++;
  }
  for (const [suffix, exp] of [
    ['E', 18],
    ['P', 15],
    ['T', 12],
    ['G', 9],
    ['M', 6],
    ['k', 3],
    ['', 0],
    ['m', -3],
    ['u', -6],
    ['n', -9],
  ] as const) {
    if (s >= exp) return `${u * 10n ** BigInt(s - exp)}${suffix}`;
  }
  return `${u}n`;
}

function fromInt(value: bigint): Quantity {
  return new Quantity(value, 0, String(value));
}

/** Kubernetes' quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go). */
export function registerQuantity(env: Environment): void {
  env.registerType('Quantity', Quantity);
  env.registerFunction('quantity(string): Quantity', (text: string) => {
    const q = Quantity.parse(text);
    if (!q)
      throw celError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    return q;
  });
  env.registerFunction('isQuantity(string): bool', (text: string) => Quantity.parse(text) !== undefined);
  env.registerFunction('Quantity.isInteger(): bool', (q: Quantity) => q.isInteger());
  env.registerFunction('Quantity.asInteger(): int', (q: Quantity) => q.asInteger());
  env.registerFunction('Quantity.asApproximateFloat(): double', (q: Quantity) => q.asFloat());
  env.registerFunction('Quantity.sign(): int', (q: Quantity) => BigInt(q.compare(fromInt(0n))));
  env.registerFunction('Quantity.add(Quantity): Quantity', (a: Quantity, b: Quantity) => a.plus(b, 1n));
  env.registerFunction('Quantity.add(int): Quantity', (a: Quantity, b: bigint) => a.plus(fromInt(b), 1n));
  env.registerFunction('Quantity.sub(Quantity): Quantity', (a: Quantity, b: Quantity) => a.plus(b, -1n));
  env.registerFunction('Quantity.sub(int): Quantity', (a: Quantity, b: bigint) => a.plus(fromInt(b), -1n));
  env.registerFunction('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => BigInt(a.compare(b)));
  env.registerFunction('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.compare(b) < 0);
  env.registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.compare(b) > 0);
  env.registerOperator('Quantity == Quantity', (a: Quantity, b: Quantity) => a.compare(b) === 0);
}
