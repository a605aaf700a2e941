import { locales, type Locale } from '../../src/contracts/locales.ts';
import { certificateDate, certificateText, type CertificateTextKey } from './certificate-texts.ts';
import { escapeHtml as escape, htmlPage } from './html-page.ts';

const page = (locale: Locale, title: string, body: string) =>
  htmlPage(locale, title, certificateText(locale, 'course'), body);

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
