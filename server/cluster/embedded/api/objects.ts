import { randomBytes } from 'node:crypto';

/** Random suffix for generateName, from the alphabet Kubernetes uses (no vowels). */
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(length = 5): string {
  const bytes = randomBytes(length);
  return [...bytes].map((b) => nameAlphabet[b % nameAlphabet.length]).join('');
}

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Deep equality that ignores key order and undefined members, so no-op writes are skipped. */
export function sameContent(a: unknown, b: unknown): boolean {
  return stable(a) === stable(b);
}
