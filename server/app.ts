import { createServer, type Server } from 'node:http';
import { handleApi } from './http/api.ts';
import type { LabHttp } from './lab/http.ts';
import { handleRootRedirect } from './http/locale-redirect.ts';
import { createStaticHandler } from './http/static-files.ts';

/** One HTTP server: the lab API first, then the root redirect, then the built site. */
export function createAppServer(distDir: string, lab?: LabHttp): Server {
  const serveStatic = createStaticHandler(distDir);
  const server = createServer((req, res) => {
    if (lab?.handle(req, res) || handleApi(req, res) || handleRootRedirect(req, res)) return;
    serveStatic(req, res).catch((error: unknown) => {
      console.error('static file error', error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    if (!lab?.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  });
  return server;
}
