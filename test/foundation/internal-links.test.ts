import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { distDir } from '../helpers/project.ts';

/**
 * Every internal link of the built site resolves: the page (or asset) exists, and a `#fragment`
 * names an id on that page. A Spanish page links to English pages only to switch language on the
 * same page (and the other way round), so a learner never lands in the wrong locale by accident.
 */

/** The built site's pages, by URL path ("/es/modules/x/" → its HTML). */
function pages(root: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(root)) return out;
  for (const f of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.html') || !statSync(join(root, f)).isFile()) continue;
    const url =
      '/' +
      f
        .split('\\')
        .join('/')
        .replace(/(^|\/)index\.html$/, '$1');
    out.set(url, readFileSync(join(root, f), 'utf8'));
  }
  return out;
}

/** The page's path with the locale taken out; the glossary is the one page whose name is translated. */
const withoutLocale = (path: string) =>
  path.replace(/^\/(es|en)\//, '/').replace(/^\/(glosario|glossary)\//, '/glossary/');

/** Broken internal links of the site in `root`, one line each ("page: link (why)"). */
function brokenLinks(root: string): { links: number; broken: string[] } {
  const site = pages(root);
  const ids = (html: string) => new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
  const idsOf = new Map([...site].map(([url, html]) => [url, ids(html)]));
  const broken: string[] = [];
  let links = 0;
  for (const [page, html] of site) {
    for (const m of html.matchAll(/\s(?:href|src)="([^"]+)"/g)) {
      const link = m[1]!.replace(/&amp;/g, '&');
      if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('//')) continue; // external, mailto:, data:
      links++;
      const url = new URL(link, `http://site${page}`);
      const path = decodeURIComponent(url.pathname);
      const target = site.has(path) ? path : site.has(`${path}/`) ? `${path}/` : undefined;
      const file = join(root, path);
      if (!target && !(existsSync(file) && statSync(file).isFile())) {
        broken.push(`${page}: ${link} (no such page or file)`);
        continue;
      }
      const fragment = decodeURIComponent(url.hash.slice(1));
      if (fragment && target && !idsOf.get(target)!.has(fragment))
        broken.push(`${page}: ${link} (no id "${fragment}" on ${target})`);
      const [from, to] = [page.slice(0, 4), path.slice(0, 4)];
      if (target && ['/es/', '/en/'].includes(from) && ['/es/', '/en/'].includes(to) && from !== to) {
        if (withoutLocale(target) !== withoutLocale(page))
          broken.push(`${page}: ${link} (links into the other locale)`);
      }
    }
  }
  return { links, broken };
}

describe('internal links of the built site', () => {
  it('all resolve, fragments included, and stay in the page locale', () => {
    const { links, broken } = brokenLinks(distDir);
    console.log(`${pages(distDir).size} pages, ${links} internal links checked`);
    expect(pages(distDir).size, 'dist/ is built (npm run build)').toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });

  const scratch = mkdtempSync(join(tmpdir(), 'links-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const write = (path: string, html: string) => {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), html);
  };

  it('reports a missing page, a missing fragment and a stray locale link', () => {
    write('es/index.html', '<a href="/es/a/">a</a><a href="/en/">en</a>');
    write('en/index.html', '<a href="/es/">es</a>');
    write(
      'es/a/index.html',
      '<h2 id="uno">1</h2><a href="#uno">ok</a><a href="/es/b/">b</a><a href="/es/#nada">x</a><a href="/en/">en</a>' +
        '<a href="https://example.org/nope">ext</a><img src="/img.svg">',
    );
    write('img.svg', '<svg/>');
    const { broken } = brokenLinks(scratch);
    expect(broken.map((b) => relative('/', b.split(':')[0]!) + ':' + b.split(': ')[1])).toEqual([
      'es/a:/es/b/ (no such page or file)',
      'es/a:/es/#nada (no id "nada" on /es/)',
      'es/a:/en/ (links into the other locale)',
    ]);
  });
});
