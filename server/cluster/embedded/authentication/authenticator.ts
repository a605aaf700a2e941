import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { withAuthenticatedGroup, type UserInfo } from './user.ts';

/** Looks a bearer token up; the cluster wires ServiceAccount and static tokens here. */
export type TokenAuthenticator = (token: string) => UserInfo | undefined;

/** Reads CN (user) and O (groups) from a verified client certificate. */
function fromClientCertificate(req: IncomingMessage): UserInfo | undefined {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  const subject = cert?.subject as Record<string, string | string[] | undefined> | undefined;
  const cn = subject?.CN;
  const username = Array.isArray(cn) ? cn[0] : cn;
  if (!username) return undefined;
  const o = subject?.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { username, groups };
}

export interface AuthenticationResult {
  user?: UserInfo;
  /** True when credentials were presented but were not valid (401, not anonymous). */
  rejected: boolean;
}

/** Client certificate first, then bearer token, as kube-apiserver's union authenticator does. */
export function authenticate(req: IncomingMessage, tokens: TokenAuthenticator): AuthenticationResult {
  const certUser = fromClientCertificate(req);
  if (certUser) return { user: withAuthenticatedGroup(certUser), rejected: false };
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const user = match ? tokens(match[1]!) : undefined;
    if (user) return { user: withAuthenticatedGroup(user), rejected: false };
    return { rejected: true };
  }
  return { rejected: false };
}
