import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import zlib, { brotliCompressSync, gzipSync } from 'node:zlib';

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
    return send404(res, root, pathname);
  };
}

/** Locales with their own not-found page (built from src/pages/[locale]/404.astro). */
const localized404 = /^\/(es|en)(?:\/|$)/;

/** The not-found page in the URL's locale (/es/…, /en/…), else the bilingual one. */
async function send404(res: ServerResponse, root: string, pathname = '/'): Promise<void> {
  const locale = localized404.exec(pathname)?.[1];
  const localized = locale ? join(root, locale, '404', 'index.html') : undefined;
  if (localized && (await isFile(localized))) return sendFile(null, res, localized, 404);
  const page = join(root, '404.html');
  if (await isFile(page)) return sendFile(null, res, page, 404);
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('Not Found\n');
}

/** Text types worth compressing; images and fonts are compressed already. */
const compressible = new Set(['.html', '.css', '.js', '.mjs', '.json', '.svg', '.txt', '.xml']);

/** Compressed bodies by path, modification time and encoding: built files change only on a new build. */
const compressedCache = new Map<string, Buffer>();
const compressedCacheLimit = 64 * 1024 * 1024;
let compressedCacheBytes = 0;

/** The encoding to answer with: Brotli, then gzip, when the browser accepts it. */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  const accepted = (acceptEncoding ?? '')
    .split(',')
    .map((part) => part.trim().split(';'))
    .filter(([, q]) => !q || Number(q.trim().replace(/^q=/, '')) > 0)
    .map(([name]) => name!.trim().toLowerCase());
  if (accepted.includes('br')) return 'br';
  if (accepted.includes('gzip')) return 'gzip';
  return undefined;
}

async function compressed(path: string, mtimeMs: number, encoding: 'br' | 'gzip'): Promise<Buffer> {
  const key = `${encoding}:${mtimeMs}:${path}`;
  const hit = compressedCache.get(key);
  if (hit) return hit;
  const raw = await readFile(path);
  const body =
    encoding === 'br'
      ? brotliCompressSync(raw, {
          params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
        })
      : gzipSync(raw, { level: 9 });
  if (compressedCacheBytes + body.length <= compressedCacheLimit) {
    compressedCache.set(key, body);
    compressedCacheBytes += body.length;
  }
  return body;
}

async function sendFile(req: IncomingMessage | null, res: ServerResponse, path: string, status: number): Promise<void> {
  const ext = extname(path).toLowerCase();
  const type = contentTypes[ext] ?? 'application/octet-stream';
  const info = await stat(path);
  // Astro fingerprints files under /_astro/, so they can be cached forever; pages revalidate by ETag.
  const cache = path.includes(`${sep}_astro${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
  const encoding = compressible.has(ext) ? pickEncoding(req?.headers['accept-encoding']) : undefined;
  const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}${encoding ? `-${encoding}` : ''}"`;
  const headers: Record<string, string> = {
    'content-type': type,
    'cache-control': cache,
    'x-content-type-options': 'nosniff',
    etag,
    ...(compressible.has(ext) ? { vary: 'accept-encoding' } : {}),
  };
  if (status === 200 && req?.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  if (encoding) {
    const body = await compressed(path, info.mtimeMs, encoding);
    res.writeHead(status, { ...headers, 'content-encoding': encoding, 'content-length': String(body.length) });
    res.end(req?.method === 'HEAD' ? undefined : body);
    return;
  }
  res.writeHead(status, { ...headers, 'content-length': String(info.size) });
  if (req?.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(path)
    .on('error', () => res.destroy())
    .pipe(res);
}
