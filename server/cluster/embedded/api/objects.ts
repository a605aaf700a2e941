import { randomBytes, randomUUID } from 'node:crypto';

/** Random suffix for generateName, from the alphabet Kubernetes uses (no vowels). */
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(length = 5): string {
  const bytes = randomBytes(length);
  return [...bytes].map((b) => nameAlphabet[b % nameAlphabet.length]).join('');
}

/**
 * A new object uid. crypto.randomUUID() builds its string from 20 concatenated pieces (about
 * 500 bytes of heap until V8 flattens it); objects kept for the cluster's life (bootstrap
 * ones, never copied by the store) get the flat 36-character string (about 60 bytes) instead.
 */
export function newUid(): string {
  return structuredClone(randomUUID());
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
