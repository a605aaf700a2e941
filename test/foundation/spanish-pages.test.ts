import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPlugins } from '../../server/grading/registry.ts';
import { embeddedCapabilities } from '../../server/lab/backends/embedded.ts';
import { englishFragments, englishIn, visibleText } from '../helpers/locale-scan.ts';
import { distDir } from '../helpers/project.ts';

const fragments = englishFragments();

describe('Spanish pages say nothing in English', () => {
  it('knows enough English UI strings to look for', () => {
    expect(fragments.length).toBeGreaterThan(60);
    expect(englishIn('<p>Your lab is ready.</p>', fragments)).toEqual(['Your lab is ready.']);
  });

  it('no built /es/ page shows an English UI string, nor hands one to its scripts', () => {
    const pages = readdirSync(join(distDir, 'es'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.html'),
    );
    expect(pages.length).toBeGreaterThan(20);
    const found: string[] = [];
    for (const page of pages) {
      const html = readFileSync(join(distDir, 'es', page), 'utf8');
      for (const f of englishIn(visibleText(html), fragments)) found.push(`${page}: ${f}`);
      // The strings the lab page's script shows later (status, errors, completion view).
      const config = /data-config="([^"]*)"/.exec(html)?.[1];
      if (config) {
        const strings = (JSON.parse(config.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { strings: object })
          .strings;
        for (const f of englishIn(Object.values(strings).join('\n'), fragments)) found.push(`${page} (script): ${f}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('grader messages and backend limitations have a Spanish text of their own', () => {
    const plugins = checkPlugins;
    const same: string[] = [];
    for (const plugin of plugins) {
      for (const [key, en] of Object.entries(plugin.messages.en))
        if ((plugin.messages.es as Record<string, string>)[key] === en && /[a-z]{3,} [a-z]{3,}/.test(en))
          same.push(`${plugin.kind}.${key}`);
    }
    expect(same).toEqual([]);
    for (const l of embeddedCapabilities.limitations) expect(l.es).not.toBe(l.en);
  });
});
