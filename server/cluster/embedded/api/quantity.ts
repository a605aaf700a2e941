/**
 * resource.Quantity as quotas and limit ranges need it (k8s.io/apimachinery/pkg/api/resource):
 * exact values in nano units, a format remembered from the text (BinarySI for "Mi", DecimalSI
 * otherwise), sums that keep the left operand's format, and the canonical text Kubernetes prints.
 */

export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

const binaryExp: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalExp: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const pattern = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;
const nano = 1_000_000_000n;

export interface Quantity {
  /** The value × 10^9, rounded up to whole nano units as Kubernetes does. */
  nanos: bigint;
  format: QuantityFormat;
}

export function parseQuantity(text: unknown): Quantity | undefined {
  if (typeof text === 'number' && Number.isFinite(text)) text = String(text);
  if (typeof text !== 'string') return undefined;
  const m = pattern.exec(text.trim());
  if (!m) return undefined;
  const [int = '0', frac = ''] = m[2]!.split('.');
  let units = BigInt(`${int || '0'}${frac}`);
  let exp10 = -frac.length;
  let format: QuantityFormat = 'DecimalSI';
  if (m[3]) {
    exp10 += Number(m[3].slice(1));
    format = 'DecimalExponent';
  } else if (m[4] && binaryExp[m[4]] !== undefined) {
    units *= 2n ** BigInt(binaryExp[m[4]]!);
    format = 'BinarySI';
  } else exp10 += decimalExp[m[4] ?? '']!;
  exp10 += 9;
  let nanos: bigint;
  if (exp10 >= 0) nanos = units * 10n ** BigInt(exp10);
  else {
    const div = 10n ** BigInt(-exp10);
    nanos = units / div + (units % div === 0n ? 0n : 1n);
  }
  return { nanos: m[1] === '-' ? -nanos : nanos, format };
}

export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.format };
}

export function compareQuantities(a: Quantity, b: Quantity): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

export const zeroQuantity = (format: QuantityFormat = 'DecimalSI'): Quantity => ({ nanos: 0n, format });

function decimalText(nanos: bigint): string {
  if (nanos === 0n) return '0';
  const sign = nanos < 0n ? '-' : '';
  let v = nanos < 0n ? -nanos : nanos;
  let exp = -9;
  while (v % 10n === 0n && exp < 18) {
    v /= 10n;
    exp++;
  }
  // The largest SI suffix whose exponent is a multiple of 3 at or below the value's.
  const suffixes: Array<[string, number]> = [
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
  ];
  for (const [suffix, e] of suffixes) {
    if (exp >= e) return `${sign}${v * 10n ** BigInt(exp - e)}${suffix}`;
  }
  return `${sign}${v}n`;
}

/** Quantity.String(): BinarySI prints the largest binary suffix that divides the value. */
export function formatQuantity(q: Quantity): string {
  if (q.format === 'BinarySI' && q.nanos % nano === 0n) {
    const value = q.nanos / nano;
    const abs = value < 0n ? -value : value;
    if (abs < 1024n) return decimalText(q.nanos);
    const sign = value < 0n ? '-' : '';
    for (const [suffix, exp] of [
      ['Ei', 60],
      ['Pi', 50],
      ['Ti', 40],
      ['Gi', 30],
      ['Mi', 20],
      ['Ki', 10],
    ] as const) {
      const unit = 2n ** BigInt(exp);
      if (abs % unit === 0n) return `${sign}${abs / unit}${suffix}`;
    }
    return `${sign}${abs}`;
  }
  return decimalText(q.nanos);
}
