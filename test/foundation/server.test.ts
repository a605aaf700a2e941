import { request, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/server.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

describe('server/main.ts', () => {
  it('prints its URL bound to 127.0.0.1 by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it.each([
    ['es', 'Módulos', 'Modelo de amenazas y responsabilidad compartida'],
    ['en', 'Modules', 'Threat model and shared responsibility'],
  ])('serves /%s/ with the module list', async (locale, heading, moduleTitle) => {
    const res = await fetch(`${server.url}${locale}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain(`<html lang="${locale}"`);
    expect(html).toContain(heading);
    expect(html).toContain(moduleTitle);
    expect(html).toContain(`href="/${locale}/modules/threat-model/"`);
  });

  it('serves a module page in both locales', async () => {
    const es = await fetch(`${server.url}es/modules/threat-model/`);
    const en = await fetch(`${server.url}en/modules/threat-model/`);
    expect([es.status, en.status]).toEqual([200, 200]);
    expect(await en.text()).toContain('Back to modules');
  });

  it('redirects / by Accept-Language, Spanish by default', async () => {
    const plain = await fetch(server.url, { redirect: 'manual' });
    expect(plain.status).toBe(302);
    expect(plain.headers.get('location')).toBe('/es/');
    const english = await fetch(server.url, { redirect: 'manual', headers: { 'accept-language': 'en-GB,en;q=0.9' } });
    expect(english.headers.get('location')).toBe('/en/');
  });

  it('adds the trailing slash to directory URLs', async () => {
    const res = await fetch(`${server.url}en`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/en/');
  });

  it('answers 404 for unknown pages and path traversal', async () => {
    expect((await fetch(`${server.url}nope/`)).status).toBe(404);
    const traversal = await fetch(`${server.url}..%2f..%2fpackage.json`);
    expect(traversal.status).toBe(404);
    expect(await traversal.text()).not.toContain('"devDependencies"');
    expect((await fetch(`${server.url}%E0%A4%A`)).status).toBe(404);
  });

  it('answers a missing page under /es/ and /en/ with the 404 page of that locale', async () => {
    const es = await fetch(`${server.url}es/modules/no-such-module/`);
    expect(es.status).toBe(404);
    const esHtml = await es.text();
    expect(esHtml).toContain('<html lang="es"');
    expect(esHtml).toContain('Página no encontrada');
    expect(esHtml).toContain('href="/es/"');
    expect(esHtml).not.toContain('Page not found');
    const en = await fetch(`${server.url}en/nope`);
    expect(en.status).toBe(404);
    const enHtml = await en.text();
    expect(enHtml).toContain('<html lang="en"');
    expect(enHtml).toContain('Page not found');
    expect(enHtml).not.toContain('Página no encontrada');
    // Outside both locales, the bilingual page.
    const other = await (await fetch(`${server.url}nope/`)).text();
    expect(other).toContain('Página no encontrada.');
    expect(other).toContain('Page not found.');
  });

  it('serves the lab API on the same port', async () => {
    const health = await fetch(`${server.url}healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const info = (await (await fetch(`${server.url}api/info`)).json()) as { node: string };
    expect(info.node).toMatch(/^v24\./);
    const missing = await fetch(`${server.url}api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe('not_found');
  });

  it('refuses to start with a bad port', async () => {
    await expect(startServer(['--port', 'abc'])).rejects.toThrow(/--port must be a port number/);
  });
});

describe('static assets', () => {
  /** A raw request, so the body stays as sent (fetch would decompress it). */
  const raw = (path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      request(new URL(path, server.url), { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      })
        .on('error', reject)
        .end();
    });

  it('are served compressed, brotli first, with caching headers', async () => {
    const page = await raw('/es/', { 'accept-encoding': 'gzip, br' });
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers.vary).toBe('accept-encoding');
    expect(page.headers['cache-control']).toBe('no-cache');
    const html = brotliDecompressSync(page.body).toString('utf8');
    expect(html).toContain('<html lang="es"');
    expect(page.body.length).toBeLessThan(Buffer.byteLength(html) / 2);
    // Revalidation: the same ETag answers 304 without a body.
    const again = await raw('/es/', { 'accept-encoding': 'gzip, br', 'if-none-match': String(page.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);

    const script = /<script[^>]+src="(\/_astro\/[^"]+\.js)"/.exec(
      await (await fetch(`${server.url}es/labs/security-basics/`)).text(),
    )?.[1];
    expect(script).toBeDefined();
    const js = await raw(script!, { 'accept-encoding': 'gzip' });
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gunzipSync(js.body).length).toBeGreaterThan(js.body.length);

    const plain = await raw('/es/', {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toContain('<html lang="es"');
    const icon = await raw('/favicon.svg', { 'accept-encoding': 'br' });
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
  });
});
