import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KindBackend } from '../../server/lab/backends/kind/backend.ts';
import { manifestImages, saveImages } from '../../server/lab/backends/kind/image-cache.ts';
import { kind, RecordedRunner } from './kind-recorded.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tmp = async (prefix: string) => {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

describe('kind image cache', () => {
  it('lists the images a manifest runs', async () => {
    const dir = await tmp('manifest-');
    await writeFile(
      join(dir, 'm.yaml'),
      [
        'spec:',
        '  containers:',
        '    - name: kyverno',
        '      image: "reg.kyverno.io/kyverno/kyverno:v1.19.0"',
        '  initContainers:',
        '    - image: reg.kyverno.io/kyverno/kyvernopre:v1.19.0',
        '      name: pre',
        '---',
        '      image: "reg.kyverno.io/kyverno/kyverno:v1.19.0"',
      ].join('\n'),
    );
    expect(await manifestImages(join(dir, 'm.yaml'))).toEqual([
      'reg.kyverno.io/kyverno/kyverno:v1.19.0',
      'reg.kyverno.io/kyverno/kyvernopre:v1.19.0',
    ]);
  });

  it('saves each image once with docker pull and docker save', async () => {
    const runner = new RecordedRunner();
    const cache = await tmp('cache-');
    await saveImages((c, a, o) => runner.run(c, a, o), ['reg.kyverno.io/kyverno/kyverno:v1.19.0'], cache);
    expect(runner.lines()).toEqual([
      'docker pull reg.kyverno.io/kyverno/kyverno:v1.19.0',
      `docker save -o ${cache}/reg.kyverno.io_kyverno_kyverno_v1.19.0.tar reg.kyverno.io/kyverno/kyverno:v1.19.0`,
    ]);
  });

  it('loads the cached archives into a new cluster in one kind load, before it is handed out', async () => {
    const cache = await tmp('cache-');
    await writeFile(join(cache, 'b.tar'), '');
    await writeFile(join(cache, 'a.tar'), '');
    const runner = new RecordedRunner()
      .on('kind get clusters', { stderr: kind.noClusters })
      .on('kind create cluster', async (call) => {
        const path = call.args[call.args.indexOf('--kubeconfig') + 1]!;
        await writeFile(path, kind.kubeconfig('x'));
        return { stderr: kind.createSuccess('x', path) };
      });
    const ws = await tmp('ws-');
    await new KindBackend({ runner, installId: 'a1b2c3', imageCache: cache }).provision({
      sessionId: '0a1b2c3d4e5f',
      workspace: ws,
      lab: { id: 'l', dir: ws, backends: ['kind'], personas: [], addons: [], tools: [], setup: [] },
      onStage: () => {},
    });
    expect(runner.lines().filter((l) => l.startsWith('kind load'))).toEqual([
      `kind load image-archive ${cache}/a.tar ${cache}/b.tar --name lab-a1b2c3-0a1b2c3d`,
    ]);
  });
});
