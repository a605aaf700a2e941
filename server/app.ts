import { createServer, type Server } from 'node:http';
import { handleApi } from './http/api.ts';
import { handleRootRedirect } from './http/locale-redirect.ts';
import { createStaticHandler } from './http/static-files.ts';

/** One HTTP server: the lab API first, then the root redirect, then the built site. */
export function createAppServer(distDir: string): Server {
  const serveStatic = createStaticHandler(distDir);
  return createServer((req, res) => {
    if (handleApi(req, res) || handleRootRedirect(req, res)) return;
    serveStatic(req, res).catch((error: unknown) => {
      console.error('static file error', error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}
