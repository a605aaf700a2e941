import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConnectionCounter, RateLimiter, viaHttps, type WebSecurity } from '../http/security.ts';
import { classRoutes, type LabControl } from './class-routes.ts';
import { certificateRoutes, isCertificatePage, pdfLimits } from './certificate-routes.ts';
import type { ModuleTitles } from './module-titles.ts';
import { OidcClient, type OidcSettings } from './oidc.ts';
import { oidcRoutes } from './oidc-routes.ts';
import { Certificates, type ModuleExercises } from './certificates.ts';
import type { ClassroomStore } from '../lab/store/types.ts';
import { authAttemptsLimiter, authRoutes, defaultSignInLimits, type SignInLimits } from './auth-routes.ts';
import { Identities, type Identity } from './identity.ts';

/** The classroom's part of the API: who a request is, and the account routes. */
export interface ClassroomHttp {
  identities: Identities;
  /** Paths the classroom answers (the lab API lets it handle them). */
  owns(path: string): boolean;
  /** Handles the request when it is one of the classroom's; false otherwise. */
  routes(req: IncomingMessage, res: ServerResponse, path: string, who: Identity, address: string): Promise<boolean>;
  /** Stops issuing certificates. */
  close(): void;
}

export function createClassroomHttp(
  store: ClassroomStore,
  security: WebSecurity,
  lab: LabControl,
  modules: ModuleExercises,
  options: {
    signInLimits?: Partial<SignInLimits>;
    rosterPollMs?: number;
    /** Module titles for certificates (default: the module id). */
    titles?: ModuleTitles;
    /** A school's OIDC provider for sign-in, when configured. */
    oidc?: OidcSettings;
  } = {},
): ClassroomHttp {
  const identities = new Identities(store, security);
  const limits = { ...defaultSignInLimits, ...options.signInLimits };
  const attempts = authAttemptsLimiter(limits);
  const certificates = new Certificates(store, modules);
  const stopCertificates = certificates.watch();
  const oidc = options.oidc ? new OidcClient(options.oidc) : undefined;
  const pdfs = new RateLimiter(pdfLimits.burst, pdfLimits.perMinute);
  const titles: ModuleTitles = options.titles ?? ((module) => module);
  // The first public URL (what learners and the people they show a certificate to use), else this request's.
  const origin = (req: IncomingMessage) =>
    [...security.allowedOrigins][0] ??
    `${viaHttps(req, security) ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
  const classes = {
    store,
    identities,
    lab,
    streams: new ConnectionCounter(4),
    pollMs: options.rosterPollMs ?? 3000,
  };
  return {
    identities,
    owns: (path) =>
      path.startsWith('/api/auth/') ||
      path.startsWith('/api/admin/') ||
      path === '/api/classes' ||
      path.startsWith('/api/classes/') ||
      path === '/api/certificates' ||
      path.startsWith('/api/certificates/') ||
      isCertificatePage(path),
    routes: async (req, res, path, who, address) =>
      (await certificateRoutes(
        { store, identities, certificates, titles, origin, pdfs, address },
        req,
        res,
        path,
        who,
      )) ||
      (await oidcRoutes({ store, identities, security, oidc }, req, res, path, who)) ||
      (await authRoutes({ store, identities, address, limits, attempts }, req, res, path, who)) ||
      classRoutes(classes, req, res, path, who),
    close: stopCertificates,
  };
}
