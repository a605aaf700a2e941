import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../src/contracts/protocol.ts';
import { sendJson } from '../http/json.ts';
import type { Certificate, ClassroomStore } from '../lab/store/types.ts';
import type { Certificates } from './certificates.ts';
import { requireRole, type Identities, type Identity } from './identity.ts';

export interface CertificateContext {
  store: ClassroomStore;
  identities: Identities;
  certificates: Certificates;
}

async function describe(ctx: CertificateContext, c: Certificate) {
  const verificationId = await ctx.certificates.verificationId(c);
  return {
    id: c.id,
    module: c.module,
    name: c.name,
    issuedAt: new Date(c.issuedAt).toISOString(),
    revoked: c.revokedAt !== null,
    verificationId,
    verifyUrl: `/api/certificates/verify/${verificationId}`,
  };
}

/** /api/certificates (mine), /api/certificates/verify/<id> (anyone), /api/admin/certificates/<id>/revoke. */
export async function certificateRoutes(
  ctx: CertificateContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  who: Identity,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  if (path === '/api/certificates' && method === 'GET') {
    const account = requireRole(who, 'learner', 'instructor', 'admin');
    const mine = await ctx.store.certificatesOf(account.id);
    sendJson(res, 200, { certificates: await Promise.all(mine.map((c) => describe(ctx, c))) });
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
