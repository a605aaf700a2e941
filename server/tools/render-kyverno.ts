import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CommandRunner } from '../lab/backends/command-runner.ts';
import { defaultKyvernoManifest, readKyvernoLock, type KyvernoManifest } from '../lab/backends/kind/addons/kyverno.ts';
import { pinnedKind } from '../lab/backends/kind/pinned.ts';

/**
 * `labs addons render`: renders the pinned Kyverno chart with the lab values (`helm template
 * --no-hooks`, so no test or migration Jobs), prepends its Namespace, writes the manifest and
 * records its sha256 in the lock. The kind backend applies nothing whose checksum differs.
 */
export async function renderKyverno(runner: CommandRunner, manifest: KyvernoManifest = defaultKyvernoManifest) {
  const lock = await readKyvernoLock(manifest);
  const dir = dirname(manifest.lockPath);
  const helm = await runner.run(
    'helm',
    [
      'template',
      'kyverno',
      lock.chart,
      '--repo',
      lock.repo,
      '--version',
      lock.chartVersion,
      '--namespace',
      'kyverno',
      '--no-hooks',
      '--include-crds',
      '--kube-version',
      pinnedKind.kubernetesVersion,
      '--values',
      join(dir, lock.values),
    ],
    { env: process.env, timeoutMs: 300_000 },
  );
  if (helm.notFound)
    throw new Error('helm is not installed: install helm 3 (https://helm.sh/docs/intro/install/) and run again');
  if (helm.exitCode !== 0) throw new Error(`helm template failed: ${helm.stderr.trim()}`);
  if (!helm.stdout.includes(`app.kubernetes.io/version: ${lock.appVersion}`))
    throw new Error(`the rendered chart is not Kyverno ${lock.appVersion}; check chartVersion in ${manifest.lockPath}`);
  const text = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kyverno\n---\n${helm.stdout}`;
  await writeFile(join(dir, lock.manifest), text);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const raw = JSON.parse(await readFile(manifest.lockPath, 'utf8')) as Record<string, unknown>;
  await writeFile(manifest.lockPath, JSON.stringify({ ...raw, sha256 }, null, 2) + '\n');
  return { path: join(dir, lock.manifest), sha256, bytes: Buffer.byteLength(text) };
}
