import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLocale, locales, type Locale } from '../../src/contracts/locales.ts';
import { ApiError } from '../../src/contracts/protocol.ts';
import { sendJson } from '../http/json.ts';
import { preferredLocale } from '../http/locale-redirect.ts';
import type { RateLimiter } from '../http/security.ts';
import type { Certificate, ClassroomStore } from '../lab/store/types.ts';
import { certificatePage, verificationPage, type Verdict } from './certificate-pages.ts';
import { pageHeaders } from './html-page.ts';
import { certificatePdf } from './certificate-pdf.ts';
import type { Certificates } from './certificates.ts';
import { requireRole, type Identities, type Identity } from './identity.ts';
import type { ModuleTitles } from './module-titles.ts';

export interface CertificateContext {
  store: ClassroomStore;
  identities: Identities;
  certificates: Certificates;
  titles: ModuleTitles;
  /** The origin the verification URL names (the first public URL, or the request's own). */
  origin(req: IncomingMessage): string;
  /** PDFs made per client address (each costs some CPU), and this request's address. */
  pdfs: RateLimiter;
  address: string;
}

/** PDFs per client address: a class downloading theirs at once, not a loop. */
export const pdfLimits = { burst: 30, perMinute: 30 };

const perLocale = <T>(make: (l: Locale) => T) =>
  Object.fromEntries(locales.map((l) => [l, make(l)])) as Record<Locale, T>;

/** Paths of one certificate, by its verification id. */
export function certificatePaths(verificationId: string) {
  return {
    verify: `/verify/${verificationId}`,
    verifyApi: `/api/certificates/verify/${verificationId}`,
    page: perLocale((l) => `/${l}/certificate/${verificationId}`),
    pdf: perLocale((l) => `/api/certificates/${verificationId}/pdf?lang=${l}`),
  };
}

/** Whether a path is one of the certificate pages this module answers (outside /api). */
export function isCertificatePage(path: string): boolean {
  return path.startsWith('/verify/') || /^\/[a-z]{2}\/certificate\//.test(path);
}

async function describe(ctx: CertificateContext, req: IncomingMessage, c: Certificate) {
  const verificationId = await ctx.certificates.verificationId(c);
  const paths = certificatePaths(verificationId);
  return {
    id: c.id,
    module: c.module,
    moduleTitle: perLocale((l) => ctx.titles(c.module, l)),
    name: c.name,
    issuedAt: new Date(c.issuedAt).toISOString(),
    revoked: c.revokedAt !== null,
    verificationId,
    verifyUrl: `${ctx.origin(req)}${paths.verify}`,
    verifyApi: paths.verifyApi,
    pageUrl: paths.page,
    pdfUrl: paths.pdf,
  };
}

function sendPage(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...pageHeaders, ...headers });
  res.end(html);
}

async function verdictOf(ctx: CertificateContext, c: Certificate | undefined, locale: Locale): Promise<Verdict> {
  if (!c) return { state: 'invalid' };
  if (c.revokedAt !== null) return { state: 'revoked', revokedAt: c.revokedAt };
  return { state: 'valid', name: c.name, moduleTitle: ctx.titles(c.module, locale), issuedAt: c.issuedAt };
}

const statusOf = { valid: 200, revoked: 410, invalid: 404 } as const;

/**
 * /api/certificates (mine), /api/certificates/verify/<id> (anyone, JSON), /api/certificates/<id>/pdf,
 * the pages /verify/<id> (the reader's language) and /<locale>/certificate/<id> (the learner's),
 * and /api/admin/certificates/<id>/revoke.
 */
export async function certificateRoutes(
  ctx: CertificateContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  who: Identity,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  if (path === '/api/certificates' && method === 'GET') {
    const account = requireRole(who, 'learner', 'instructor', 'admin');
    // Progress that came with the account (claimed or merged at sign-up or sign-in) earns too.
    await ctx.certificates.consider(account.learnerId);
    const mine = await ctx.store.certificatesOf(account.id);
    sendJson(res, 200, { certificates: await Promise.all(mine.map((c) => describe(ctx, req, c))) });
    return true;
  }
  const verifying = /^\/api\/certificates\/verify\/([^/]{1,200})$/.exec(path);
  if (verifying && method === 'GET') {
    const c = await ctx.certificates.verify(verifying[1]!);
    if (!c)
      throw new ApiError(
        404,
        'invalid_certificate',
        'No valid certificate has this id: it was not issued here or was changed.',
      );
    if (c.revokedAt !== null)
      throw new ApiError(410, 'revoked', `This certificate was revoked on ${new Date(c.revokedAt).toISOString()}.`);
    sendJson(res, 200, { valid: true, name: c.name, module: c.module, issuedAt: new Date(c.issuedAt).toISOString() });
    return true;
  }
  const readerPage = /^\/verify\/([^/]{1,200})$/.exec(path);
  if (readerPage && method === 'GET') {
    const lang = query.get('lang');
    const locale = isLocale(lang) ? lang : preferredLocale(req.headers['accept-language']);
    const verdict = await verdictOf(ctx, await ctx.certificates.verify(readerPage[1]!), locale);
    sendPage(res, statusOf[verdict.state], verificationPage(locale, verdict, path), { vary: 'Accept-Language' });
    return true;
  }
  const learnerPage = /^\/([a-z]{2})\/certificate\/([^/]{1,200})$/.exec(path);
  if (learnerPage && isLocale(learnerPage[1]) && method === 'GET') {
    const locale = learnerPage[1];
    const vid = learnerPage[2]!;
    const c = await ctx.certificates.verify(vid);
    const verdict = await verdictOf(ctx, c, locale);
    if (!c || verdict.state !== 'valid')
      return (sendPage(res, statusOf[verdict.state], verificationPage(locale, verdict, `/verify/${vid}`)), true);
    const paths = certificatePaths(vid);
    sendPage(
      res,
      200,
      certificatePage(locale, {
        name: c.name,
        moduleTitle: ctx.titles(c.module, locale),
        issuedAt: c.issuedAt,
        certificateId: c.id,
        verifyUrl: `${ctx.origin(req)}${paths.verify}`,
        pdfUrl: paths.pdf[locale],
      }),
    );
    return true;
  }
  const pdf = /^\/api\/certificates\/([^/]{1,200})\/pdf$/.exec(path);
  if (pdf && method === 'GET') {
    const lang = query.get('lang');
    const locale = isLocale(lang) ? lang : preferredLocale(req.headers['accept-language']);
    const c = await ctx.certificates.verify(pdf[1]!);
    if (!c) throw new ApiError(404, 'invalid_certificate', 'No valid certificate has this id.');
    if (c.revokedAt !== null) throw new ApiError(410, 'revoked', 'This certificate was revoked.');
    const wait = ctx.pdfs.take(ctx.address);
    if (wait !== undefined) throw new ApiError(429, 'rate_limited', `Too many PDFs; try again in ${wait} s.`);
    const bytes = await certificatePdf({
      locale,
      name: c.name,
      moduleTitle: ctx.titles(c.module, locale),
      issuedAt: c.issuedAt,
      certificateId: c.id,
      verifyUrl: `${ctx.origin(req)}${certificatePaths(pdf[1]!).verify}`,
    });
    res.writeHead(200, {
      'content-type': 'application/pdf',
      'content-length': bytes.byteLength,
      'content-disposition': `attachment; filename="certificate-${c.module}-${locale}.pdf"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(Buffer.from(bytes));
    return true;
  }
  const revoking = /^\/api\/admin\/certificates\/([A-Za-z0-9_-]{16})\/revoke$/.exec(path);
  if (revoking && method === 'POST') {
    ctx.identities.requireCsrf(req, who);
    requireRole(who, 'admin');
    if (!(await ctx.store.revokeCertificate(revoking[1]!)))
      throw new ApiError(404, 'unknown_certificate', 'No such certificate, or it is revoked already.');
    sendJson(res, 200, { revoked: true });
    return true;
  }
  return false;
}
