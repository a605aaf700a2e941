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
