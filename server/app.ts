import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { handleApi } from './http/api.ts';
import type { LabHttp } from './lab/http.ts';
import { handleRootRedirect } from './http/locale-redirect.ts';
import { hostAllowed, isAdmin, webSecurity, type WebSecurity } from './http/security.ts';
import { createStaticHandler } from './http/static-files.ts';

export interface AppOptions {
  security?: WebSecurity;
  /** Open client connections at most (HTTP keep-alive, SSE and WebSockets together). */
  maxConnections?: number;
}

function refuseHost(res: ServerResponse, host: string | undefined): void {
  res.writeHead(421, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
  res.end(
    JSON.stringify({
      error: 'host_not_allowed',
      message: `This server does not answer to the host name ${JSON.stringify(host ?? '')}; start it with --public-url to allow it.`,
    }) + '\n',
  );
}

/** /api/info tells versions and the isolation mode: for administrators only. */
function adminOnly(req: IncomingMessage, res: ServerResponse, security: WebSecurity): boolean {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== '/api/info' || isAdmin(req, security)) return false;
  res.writeHead(403, { 'content-type': 'application/json; charset=utf-8' });
  res.end(
    JSON.stringify({ error: 'forbidden', message: 'Server information needs the admin token or loopback.' }) + '\n',
  );
  return true;
}

/**
 * One HTTP server: a Host allow-list first (DNS rebinding), then the lab API, the
 * root redirect and the built site.
 */
export function createAppServer(distDir: string, lab?: LabHttp, options: AppOptions = {}): Server {
  const security = options.security ?? webSecurity({ bindHost: '127.0.0.1' });
  const serveStatic = createStaticHandler(distDir);
  const server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host, security)) return refuseHost(res, req.headers.host);
    if (adminOnly(req, res, security)) return;
    if (lab?.handle(req, res) || handleApi(req, res) || handleRootRedirect(req, res)) return;
    serveStatic(req, res).catch((error: unknown) => {
      console.error('static file error', error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Slow clients cannot hold a connection forever before sending their request.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  if (options.maxConnections) server.maxConnections = options.maxConnections;
  server.on('upgrade', (req, socket, head) => {
    if (!hostAllowed(req.headers.host, security)) {
      socket.end('HTTP/1.1 421 Misdirected Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (!lab?.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  });
  return server;
}
