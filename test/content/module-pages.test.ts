import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cksDomains, owaspItems } from '../../src/contracts/content.ts';
import { splitFrontmatter } from '../helpers/prose.ts';
import { projectRoot } from '../helpers/project.ts';

/** Every module page names the CKS domains and OWASP Kubernetes Top 10 items it covers, the same in both locales. */
const modulesDir = (locale: string) => join(projectRoot, 'content', locale, 'modules');
const modules = readdirSync(modulesDir('en')).filter((f) => f.endsWith('.mdx'));

function coverage(locale: string, file: string): { cks: unknown; owasp: unknown } {
  const { frontmatter } = splitFrontmatter(readFileSync(join(modulesDir(locale), file), 'utf8'));
  return { cks: frontmatter.cks, owasp: frontmatter.owasp };
}

describe('module pages list their CKS and OWASP items', () => {
  it('finds the module pages', () => {
    expect(modules.length).toBeGreaterThan(0);
    expect(
      readdirSync(modulesDir('es'))
        .filter((f) => f.endsWith('.mdx'))
        .sort(),
    ).toEqual([...modules].sort());
  });

  for (const file of modules) {
    it(`${file}: at least one CKS domain and one OWASP item, known ids, same in es and en`, () => {
      const en = coverage('en', file);
      const es = coverage('es', file);
      expect(Array.isArray(en.cks) && en.cks.length, `${file}: cks`).toBeTruthy();
      expect(Array.isArray(en.owasp) && en.owasp.length, `${file}: owasp`).toBeTruthy();
      for (const id of en.cks as string[]) expect(cksDomains).toContain(id);
      for (const id of en.owasp as string[]) expect(owaspItems).toContain(id);
      expect(es).toEqual(en);
    });
  }
});
