import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labSchema } from '../../src/contracts/lab.ts';
import { locales } from '../../src/contracts/locales.ts';
import { checkKinds, checkPlugins, fullLabSchema, pluginFor } from '../../server/grading/registry.ts';
import { projectRoot } from '../helpers/project.ts';

const labsDir = join(projectRoot, 'labs');

describe('check kind registry', () => {
  it('has one plug-in per file in server/grading/checks/, named after its kind', () => {
    const files = readdirSync(join(projectRoot, 'server', 'grading', 'checks'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect([...checkKinds].sort()).toEqual(files);
    expect(checkKinds).toEqual(
      expect.arrayContaining(['assert', 'absent', 'admission', 'can-i', 'file', 'trivy-report', 'dockerfile']),
    );
    expect(pluginFor('trivy-report')?.kind).toBe('trivy-report');
    expect(pluginFor('nope')).toBeUndefined();
  });

  it('gives every plug-in the same message keys in every locale, none empty', () => {
    for (const plugin of checkPlugins) {
      const keys = Object.keys(plugin.messages.es).sort();
      expect(keys.length, plugin.kind).toBeGreaterThan(0);
      for (const locale of locales) {
        expect(Object.keys(plugin.messages[locale]).sort(), `${plugin.kind} ${locale}`).toEqual(keys);
        for (const text of Object.values(plugin.messages[locale])) expect(text.trim(), plugin.kind).not.toBe('');
      }
    }
  });

  it('validates every lab in labs/ with the plug-ins, as the site does with the envelope', () => {
    for (const id of readdirSync(labsDir)) {
      const raw = parse(readFileSync(join(labsDir, id, 'lab.yaml'), 'utf8')) as unknown;
      expect(fullLabSchema.safeParse(raw).error?.issues, id).toBeUndefined();
      expect(labSchema.safeParse(raw).success, id).toBe(true);
    }
  });

  it("rejects a check field its kind does not have, and the old file check's trivyReport", () => {
    const lab = parse(readFileSync(join(labsDir, 'trivy-scan', 'lab.yaml'), 'utf8')) as {
      exercises: Array<{ checks: Array<Record<string, unknown>> }>;
    };
    const index = lab.exercises[0]!.checks.findIndex((c) => c.kind === 'trivy-report');
    const check = lab.exercises[0]!.checks[index]!;
    expect(check.kind).toBe('trivy-report');
    check.kind = 'file';
    check.trivyReport = { image: String(check.image) };
    delete check.image;
    const result = fullLabSchema.safeParse(lab);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(`exercises.0.checks.${index}`);
    // The site's envelope only knows the common fields, so it accepts it; the plug-ins do not.
    expect(labSchema.safeParse(lab).success).toBe(true);
  });
});
