import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { cruise, type ICruiseOptions, type IViolation } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';
import config from '../../.dependency-cruiser.mjs';
import { projectRoot } from '../helpers/project.ts';

/** "rule: from → to" for every violation, so a failure names the offending file pair. */
async function violations(baseDir: string, roots: string[]): Promise<string[]> {
  const options: ICruiseOptions = {
    ...(config.options as ICruiseOptions),
    baseDir,
    validate: true,
    ruleSet: { forbidden: config.forbidden } as ICruiseOptions['ruleSet'],
  };
  const result = await cruise(roots, options);
  if (typeof result.output === 'string') throw new Error('dependency-cruiser returned text, not a result');
  return (result.output.summary.violations as IViolation[]).map(
    (v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`,
  );
}

describe('architecture (dependency-cruiser over the import graph)', () => {
  it('has no cycles in the repository, no upward imports between the embedded cluster layers, and site/server share only src/contracts/', async () => {
    expect(await violations(projectRoot, ['server', 'src', 'test', 'astro.config.mjs'])).toEqual([]);
  });

  it('has .astro files that import nothing from server/ (dependency-cruiser does not read .astro)', () => {
    const files = execFileSync('git', ['ls-files', '*.astro'], { cwd: projectRoot, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(files.length).toBeGreaterThan(5);
    const offending = files.filter((f) =>
      /(?:import|from)\s*\(?\s*['"](?:\.\.\/)+server\//.test(readFileSync(join(projectRoot, f), 'utf8')),
    );
    expect(offending).toEqual([]);
  });

  describe('on a fixture with a deliberate upward import, a cycle and a site-server import', () => {
    const fixture = mkdtempSync(join(tmpdir(), 'architecture-'));
    afterAll(() => rmSync(fixture, { recursive: true, force: true }));
    const files: Record<string, string> = {
      'server/cluster/embedded/api/status.ts':
        "import { handler } from '../endpoints/handler.ts';\nexport const s = handler;\n",
      'server/cluster/embedded/endpoints/handler.ts':
        "import { x } from '../gossip/x.ts';\nexport const handler = x;\n",
      'server/cluster/embedded/registry/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'server/cluster/embedded/registry/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
      'server/cluster/embedded/gossip/x.ts': 'export const x = 1;\n',
      'src/scripts/page.ts':
        "import { terminalLimits } from '../../server/lab/protocol.ts';\nexport const t = terminalLimits;\n",
      'server/lab/protocol.ts': 'export const terminalLimits = 1;\n',
      'server/grading/run.ts': "import { p } from '../../src/lib/labs.ts';\nexport const r = p;\n",
      'src/lib/labs.ts': 'export const p = 1;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(fixture, dirname(path)), { recursive: true });
      writeFileSync(join(fixture, path), text);
    }

    it('fails, naming each offending file pair and the rule', async () => {
      const found = await violations(fixture, ['server', 'src']);
      expect(found).toEqual(
        expect.arrayContaining([
          'embedded-layer-api: server/cluster/embedded/api/status.ts → server/cluster/embedded/endpoints/handler.ts',
          expect.stringMatching(
            /^no-circular: server\/cluster\/embedded\/registry\/(a|b)\.ts → server\/cluster\/embedded\/registry\/(a|b)\.ts/,
          ),
          'embedded-folder-has-a-layer: server/cluster/embedded/endpoints/handler.ts → server/cluster/embedded/gossip/x.ts',
          'site-never-imports-server: src/scripts/page.ts → server/lab/protocol.ts',
          'server-imports-only-contracts-from-src: server/grading/run.ts → src/lib/labs.ts',
        ]),
      );
    });
  });
});
