import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
};

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the built Astro site from `root`. Directory URLs map to index.html;
 * a directory URL without its trailing slash is redirected so relative links work.
 */
export function createStaticHandler(root: string) {
  const rootWithSep = root.endsWith(sep) ? root : root + sep;

  return async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return send404(res, root);
    }
    const resolved = normalize(join(root, pathname));
    if (resolved !== root && !resolved.startsWith(rootWithSep)) return send404(res, root);

    if (await isFile(resolved)) return sendFile(req, res, resolved, 200);
    const index = join(resolved, 'index.html');
    if (await isFile(index)) {
      if (!url.pathname.endsWith('/')) {
        res.writeHead(301, { location: url.pathname + '/' + url.search });
        res.end();
        return;
      }
      return sendFile(req, res, index, 200);
    }
    return send404(res, root);
  };
}

async function send404(res: ServerResponse, root: string): Promise<void> {
  const page = join(root, '404.html');
  if (await isFile(page)) return sendFile(null, res, page, 404);
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('Not Found\n');
}

function sendFile(req: IncomingMessage | null, res: ServerResponse, path: string, status: number): void {
  const type = contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
  // Astro fingerprints files under /_astro/, so they can be cached forever.
  const cache = path.includes(`${sep}_astro${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
  res.writeHead(status, { 'content-type': type, 'cache-control': cache, 'x-content-type-options': 'nosniff' });
  if (req?.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(path)
    .on('error', () => res.destroy())
    .pipe(res);
}
