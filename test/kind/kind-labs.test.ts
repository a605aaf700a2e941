import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execaRunner } from '../../server/lab/backends/command-runner.ts';
import { kindPreflight } from '../../server/lab/backends/kind/preflight.ts';
import { formatTable, testLabs } from '../../server/cli/lab-tests.ts';
import { loadLabs } from '../../server/labs/catalog.ts';
import { projectRoot } from '../helpers/project.ts';

/**
 * End to end on real kind clusters: every lab that lists the kind backend runs `labs test
 * --backend kind` (fresh cluster, exercises fail, reference solutions pass). Only where Docker
 * and kind work; elsewhere the suite says why it skipped.
 */
const labsDir = join(projectRoot, 'labs');
const kindLabs = [...(await loadLabs(labsDir)).values()].filter((l) => l.backends.includes('kind')).map((l) => l.id);
const env = { ...process.env };
delete env.KUBECONFIG;
const preflight = await kindPreflight(execaRunner, env);
if (!preflight.ok)
  console.log(
    `kind e2e suite skipped (${kindLabs.length} kind labs not run): the kind backend cannot run here. ${preflight.reason} Run \`npm run labs -- doctor\` for every missing piece.`,
  );

describe.skipIf(!preflight.ok)('every kind lab on a real kind cluster', () => {
  it.each(kindLabs)(
    '%s: exercises fail on a fresh cluster and pass with the reference solution',
    async (lab) => {
      const rows = await testLabs(labsDir, [lab], { backend: 'kind' });
      console.log(formatTable(rows));
      const tested = rows.filter((r) => !r.skipped);
      // A lab skipped only for a missing host tool still counts as not run: say so, and fail in CI.
      const skippedForTools = rows.filter((r) => r.skipped?.startsWith('needs '));
      if (process.env.CI === 'true') expect(skippedForTools).toEqual([]);
      for (const row of tested) expect({ ...row, ok: row.failsBefore && row.passesAfter }).toMatchObject({ ok: true });
    },
    15 * 60_000,
  );
});
