import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifiedKyvernoManifest } from '../../server/lab/backends/kind/addons/kyverno.ts';
import { renderKyverno } from '../../server/tools/render-kyverno.ts';
import { projectRoot } from '../helpers/project.ts';
import { RecordedRunner } from '../lab/kind-recorded.ts';

/**
 * `labs addons render` with helm recorded: the argv it runs and what it records. The helm output
 * here is a two-object stand-in (this machine has no helm); the real manifest is rendered by an
 * operator and committed with its checksum.
 */
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function copyOfLock(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'render-'));
  dirs.push(dir);
  const addons = join(projectRoot, 'server/lab/backends/kind/addons');
  await copyFile(join(addons, 'kyverno.lock.json'), join(dir, 'kyverno.lock.json'));
  await copyFile(join(addons, 'kyverno-values.yaml'), join(dir, 'kyverno-values.yaml'));
  return join(dir, 'kyverno.lock.json');
}

const standIn = [
  'apiVersion: v1',
  'kind: ServiceAccount',
  'metadata:',
  '  name: kyverno-admission-controller',
  '  labels:',
  '    app.kubernetes.io/version: v1.19.0',
  '',
].join('\n');

describe('labs addons render (recorded helm)', () => {
  it('runs helm template --no-hooks on the pinned chart and records the manifest checksum', async () => {
    const lockPath = await copyOfLock();
    const runner = new RecordedRunner().on('helm template', { stdout: standIn });
    const out = await renderKyverno(runner, { lockPath });
    expect(runner.calls[0]!.args).toEqual([
      'template',
      'kyverno',
      'kyverno',
      '--repo',
      'https://kyverno.github.io/kyverno/',
      '--version',
      '3.9.0',
      '--namespace',
      'kyverno',
      '--no-hooks',
      '--include-crds',
      '--kube-version',
      'v1.34.11',
      '--values',
      join(lockPath, '..', 'kyverno-values.yaml'),
    ]);
    const text = await readFile(out.path, 'utf8');
    expect(text.startsWith('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kyverno\n---\n')).toBe(true);
    const lock = JSON.parse(await readFile(lockPath, 'utf8')) as { sha256: string };
    expect(lock.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    expect(await verifiedKyvernoManifest({ lockPath })).toBe(out.path);
    // Changing one byte after rendering is refused.
    await writeFile(out.path, text + '#');
    await expect(verifiedKyvernoManifest({ lockPath })).rejects.toThrow('does not match its recorded checksum');
  });

  it('refuses a chart that is not the pinned Kyverno version, and says when helm is missing', async () => {
    const lockPath = await copyOfLock();
    const wrong = new RecordedRunner().on('helm template', { stdout: standIn.replace('v1.19.0', 'v1.18.2') });
    await expect(renderKyverno(wrong, { lockPath })).rejects.toThrow('is not Kyverno v1.19.0');
    const none = new RecordedRunner().on('helm', { exitCode: 127, notFound: true });
    await expect(renderKyverno(none, { lockPath })).rejects.toThrow('helm is not installed');
    expect(JSON.parse(await readFile(lockPath, 'utf8')).sha256).toBeNull();
  });
});
