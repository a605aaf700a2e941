import type { IncomingMessage, ServerResponse } from 'node:http';

export const serverVersion = '0.1.0';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body) + '\n');
}

/**
 * The lab server's HTTP API. Returns true when it handled the request, so the
 * same handler can sit in front of the static site and inside Astro's dev server.
 */
export function handleApi(req: IncomingMessage, res: ServerResponse): boolean {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/healthz' || path === '/readyz') {
    sendJson(res, 200, { status: 'ok' });
    return true;
  }
  if (path === '/api/info') {
    sendJson(res, 200, { name: 'k8s-security-course', version: serverVersion, node: process.version });
    return true;
  }
  if (path.startsWith('/api/')) {
    sendJson(res, 404, { error: 'not_found', message: `No API endpoint at ${path}` });
    return true;
  }
  return false;
}
