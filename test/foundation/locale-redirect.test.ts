import { describe, expect, it } from 'vitest';
import { preferredLocale } from '../../server/http/locale-redirect.ts';

describe('preferredLocale', () => {
  it.each([
    [undefined, 'es'],
    ['', 'es'],
    ['en-US,en;q=0.9', 'en'],
    ['es-ES,es;q=0.9,en;q=0.8', 'es'],
    ['fr-FR,fr;q=0.9,en;q=0.8', 'en'],
    ['de,fr', 'es'],
    ['es;q=0.2,en;q=0.7', 'en'],
    ['en;q=0,es', 'es'],
  ])('Accept-Language %j → %s', (header, expected) => {
    expect(preferredLocale(header)).toBe(expected);
  });
});
