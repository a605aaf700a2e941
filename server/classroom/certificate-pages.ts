import { locales, type Locale } from '../../src/contracts/locales.ts';
import { certificateDate, certificateText, type CertificateTextKey } from './certificate-texts.ts';

function escape(text: string): string {
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

function page(locale: Locale, title: string, body: string): string {
  const t = (key: CertificateTextKey) => certificateText(locale, key);
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escape(title)} · ${escape(t('course'))}</title>
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

export interface ShownCertificate {
  name: string;
  moduleTitle: string;
  issuedAt: number;
  certificateId: string;
  verifyUrl: string;
  pdfUrl: string;
}

/** The learner's certificate, in their language, with its PDF download and verification URL. */
export function certificatePage(locale: Locale, c: ShownCertificate): string {
  const t = (key: CertificateTextKey) => certificateText(locale, key);
  const url = escape(c.verifyUrl);
  return page(
    locale,
    `${t('heading')}: ${c.moduleTitle}`,
    `<article class="certificate">
<p class="muted">${escape(t('course'))}</p>
<h1>${escape(t('heading'))}</h1>
<p class="muted">${escape(t('certifies'))}</p>
<p class="name">${escape(c.name)}</p>
<p class="muted">${escape(t('completed'))}</p>
<p class="module">${escape(c.moduleTitle)}</p>
<p class="muted">${escape(t('ofCourse'))}</p>
<p>${escape(t('date'))}: <time datetime="${new Date(c.issuedAt).toISOString()}">${escape(certificateDate(locale, c.issuedAt))}</time></p>
<p class="muted">${escape(t('certificateId'))}: <code>${escape(c.certificateId)}</code></p>
<p class="verify-url">${escape(t('verifyAt'))}: <a href="${url}">${url}</a></p>
</article>
<p><a href="${escape(c.pdfUrl)}" download>${escape(t('download'))}</a></p>`,
  );
}

export type Verdict =
  | { state: 'valid'; name: string; moduleTitle: string; issuedAt: number }
  | { state: 'revoked'; revokedAt: number }
  | { state: 'invalid' };

/** What a verification URL says, in the reader's language, with a link to the other one. */
export function verificationPage(locale: Locale, verdict: Verdict, path: string): string {
  const t = (key: CertificateTextKey, params?: Record<string, string>) => certificateText(locale, key, params);
  const other = locales.find((l) => l !== locale)!;
  const text =
    verdict.state === 'valid'
      ? t('verify.validText', {
          name: verdict.name,
          module: verdict.moduleTitle,
          date: certificateDate(locale, verdict.issuedAt),
        })
      : verdict.state === 'revoked'
        ? t('verify.revokedText', { date: certificateDate(locale, verdict.revokedAt) })
        : t('verify.invalidText');
  return page(
    locale,
    t('verify.title'),
    `<h1>${escape(t('verify.title'))}</h1>
<section class="status ${verdict.state}" data-state="${verdict.state}">
<h2>${escape(t(`verify.${verdict.state}`))}</h2>
<p>${escape(text)}</p>
</section>
<p><a href="${escape(path)}?lang=${other}" hreflang="${other}">${escape(t('verify.otherLanguage'))}</a></p>`,
  );
}

/** Headers for these pages: HTML that loads nothing from anywhere. */
export const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
