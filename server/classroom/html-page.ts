import type { Locale } from '../../src/contracts/locales.ts';

/** Text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );
}

const style = `
  :root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #4a5561; --accent: #0b5cad;
    --ok: #1a7f37; --ko: #b42318; --border: #d0d7de; font-family: system-ui, sans-serif; line-height: 1.55; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e8ebef; --bg: #111418; --muted: #b3bcc6;
    --accent: #7cb7ff; --ok: #57d46a; --ko: #ff8a80; --border: #3a434d; } }
  body { margin: 0; background: var(--bg); color: var(--fg); }
  main { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
  .certificate { border: 3px double var(--accent); padding: 2rem 1.5rem; text-align: center; }
  .certificate h1 { color: var(--accent); margin: 0.25rem 0 1rem; }
  .name, .module { font-size: 1.6rem; font-weight: 700; margin: 0.25rem 0 0.75rem; overflow-wrap: anywhere; }
  .muted { color: var(--muted); }
  .verify-url { overflow-wrap: anywhere; font-size: 0.9rem; }
  .status { border-left: 6px solid var(--border); padding: 0.5rem 1rem; }
  .status.valid { border-color: var(--ok); } .status.revoked, .status.invalid { border-color: var(--ko); }
  a { color: var(--accent); }`;

/**
 * A small self-contained page the lab server renders itself (certificates, sign-in errors):
 * `body` is HTML its caller escaped; the title is escaped here.
 */
export function htmlPage(locale: Locale, title: string, siteTitle: string, body: string): string {
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · ${escapeHtml(siteTitle)}</title>
<style>${style}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** Headers for these pages: HTML that loads nothing from anywhere. */
export const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
