import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultLocale, locales, type Locale } from '../../src/contracts/locales.ts';

/** Picks the course locale from an Accept-Language header (quality values respected). */
export function preferredLocale(acceptLanguage: string | undefined): Locale {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { lang: tag.toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  const match = ranked.find((entry) => (locales as readonly string[]).includes(entry.lang));
  return (match?.lang as Locale | undefined) ?? defaultLocale;
}

/** "/" goes to the learner's language; everything else is left alone. */
export function handleRootRedirect(req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/') return false;
  res.writeHead(302, { location: `/${preferredLocale(req.headers['accept-language'])}/`, vary: 'Accept-Language' });
  res.end();
  return true;
}
