import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { StatusError } from '../../server/cluster/embedded/api/status.ts';
import type { ResourceDef } from '../../server/cluster/embedded/registry/types.ts';
import type { KubeObject } from '../../server/cluster/embedded/storage/types.ts';
import { projectRoot } from '../helpers/project.ts';

const root = join(projectRoot, '..', 'shared', 'conformance', 'psa');
const present = existsSync(join(root, 'INDEX.json'));
if (!present) console.warn(`PSA conformance fixtures not found at ${root}: suite skipped`);

interface Fixture {
  path: string;
  level: 'baseline' | 'restricted';
  version: string;
  expect: 'allow' | 'deny';
  check: string | null;
  expectErrorSubstring: string | null;
}

const minor = (v: string) => Number(v.split('.')[1]);
const fixtures: Fixture[] = present
  ? (JSON.parse(readFileSync(join(root, 'INDEX.json'), 'utf8')) as Fixture[]).filter((f) => minor(f.version) <= 34)
  : [];

let cluster: EmbeddedCluster;
let pods: ResourceDef;
let deployments: ResourceDef;
const admin = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

describe.skipIf(!present)('Pod Security Admission conformance (pod-security-admission fixtures v1.0–v1.34)', () => {
  beforeAll(async () => {
    cluster = await new EmbeddedCluster().start();
    pods = cluster.catalog.find('', 'v1', 'pods')!;
    deployments = cluster.catalog.find('apps', 'v1', 'deployments')!;
    const nsDef = cluster.catalog.find('', 'v1', 'namespaces')!;
    for (const f of new Set(fixtures.map((x) => `${x.level}|${x.version}`))) {
      const [level, version] = f.split('|') as [string, string];
      const labels = {
        'pod-security.kubernetes.io/enforce': level,
        'pod-security.kubernetes.io/enforce-version': version,
        'pod-security.kubernetes.io/warn': level,
        'pod-security.kubernetes.io/warn-version': version,
      };
      await cluster.registry.create(
        nsDef,
        '',
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${level}-${version.replace('.', '-')}`, labels } },
        { user: admin, dryRun: false, fieldManager: 'test', warnings: [] },
      );
    }
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('admits every pass fixture and rejects every fail fixture with the expected text', async () => {
    const failures: string[] = [];
    const tally = new Map<string, { ok: number; total: number }>();
    for (const f of fixtures) {
      const pod = parseYaml(readFileSync(join(root, f.path), 'utf8')) as KubeObject;
      // Fixture file names such as "capabilities_baseline0" are not valid object names.
      pod.metadata.name = (pod.metadata.name ?? 'fixture').replace(/_/g, '-');
      const namespace = `${f.level}-${f.version.replace('.', '-')}`;
      const opts = { user: admin, dryRun: true, fieldManager: 'test', warnings: [] as string[] };
      let error: StatusError | undefined;
      try {
        await cluster.registry.create(pods, namespace, { ...pod, metadata: { ...pod.metadata, namespace } }, opts);
      } catch (e) {
        if (!(e instanceof StatusError)) throw e;
        error = e;
      }
      const deployWarnings: string[] = [];
      const deployment: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'fixture', namespace },
        spec: {
          selector: { matchLabels: { fixture: 'yes' } },
          template: { metadata: { ...pod.metadata, labels: { fixture: 'yes' } }, spec: pod.spec },
        },
      };
      await cluster.registry.create(deployments, namespace, deployment, {
        user: admin,
        dryRun: true,
        fieldManager: 'test',
        warnings: deployWarnings,
      });
      const substring = f.expectErrorSubstring ?? f.check ?? '';
      let ok: boolean;
      if (f.expect === 'allow') ok = !error && opts.warnings.length === 0 && deployWarnings.length === 0;
      else
        ok =
          error?.code === 403 && error.message.includes(substring) && deployWarnings.some((w) => w.includes(substring));
      const key = `${f.level}/${f.check ?? 'base'}`;
      const t = tally.get(key) ?? { ok: 0, total: 0 };
      t.total++;
      if (ok) t.ok++;
      tally.set(key, t);
      if (!ok)
        failures.push(
          `${f.path}: expected ${f.expect}${f.expect === 'deny' ? ` with "${substring}"` : ''}, got ${error ? `${error.code} ${error.message}` : 'allowed'}; pod warnings ${JSON.stringify(opts.warnings)}; deployment warnings ${JSON.stringify(deployWarnings)}`,
        );
    }
    console.log(`PSA fixtures v1.0–v1.34: ${fixtures.length - failures.length}/${fixtures.length} as expected`);
    for (const [key, t] of [...tally].sort()) console.log(`  ${key.padEnd(40)} ${t.ok}/${t.total}`);
    expect(failures.slice(0, 20)).toEqual([]);
  }, 300_000);
});
