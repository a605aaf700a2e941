import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { ApiClient } from '../helpers/api-client.ts';
import { kubectlBinaries } from '../helpers/kubectl.ts';
import { projectRoot } from '../helpers/project.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cluster-state-'));
  dirs.push(dir);
  return dir;
}

describe('cluster state in its folder', () => {
  it('a restarted cluster keeps its objects, CRDs, CA and resourceVersions', async () => {
    const dir = await scratch();
    const first = await new EmbeddedCluster({ dir }).start();
    const credentials = await first.credentials();
    let api = new ApiClient(first, credentials);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' }, data: { answer: '42' } };
    expect(
      (
        await api.send('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify(cm), {
          'content-type': 'application/json',
        })
      ).status,
    ).toBe(201);
    const crd = await readFile(join(projectRoot, 'server/cluster/embedded/addons/kyverno/crds.yaml'), 'utf8');
    const firstCrd = crd.split('\n---\n')[0]!;
    expect(
      (
        await api.send('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', firstCrd, {
          'content-type': 'application/yaml',
        })
      ).status,
    ).toBe(201);
    await first.settle();
    const before = (await api.send('GET', '/api/v1/namespaces/default/configmaps/kept')).json();
    api.close();
    await first.stop();

    const second = await new EmbeddedCluster({ dir }).start();
    api = new ApiClient(second, credentials); // the old client certificate still works: same CA
    const after = await api.send('GET', '/api/v1/namespaces/default/configmaps/kept');
    expect(after.status).toBe(200);
    expect(after.json()).toEqual(before);
    expect((await api.send('GET', '/apis/kyverno.io/v1/clusterpolicies')).status).toBe(200);
    const next = await api.send(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      JSON.stringify({ ...cm, metadata: { name: 'later' } }),
      { 'content-type': 'application/json' },
    );
    expect(Number((next.json().metadata as { resourceVersion: string }).resourceVersion)).toBeGreaterThan(
      Number((before.metadata as { resourceVersion: string }).resourceVersion),
    );
    api.close();
    await second.stop();
  });
});

const kubectl = kubectlBinaries(['1.32'])[0];

describe('labs cluster up', () => {
  it.skipIf(!kubectl)('starts a cluster, writes a kubeconfig kubectl uses, and resumes it', async () => {
    const dir = await scratch();
    const start = () => {
      const child = spawn(process.execPath, [join(projectRoot, 'server/cli/labs.ts'), 'cluster', 'up', '--dir', dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const ready = new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('export KUBECONFIG=')) resolve(out);
        });
        child.on('exit', (code) => reject(new Error(`labs cluster up exited ${code}: ${out}`)));
      });
      return { child, ready };
    };
    const run = (...args: string[]) =>
      new Promise<string>((resolve) => {
        const p = spawn(kubectl!.path, args, {
          env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') },
        });
        let out = '';
        p.stdout.on('data', (c: Buffer) => (out += c.toString()));
        p.stderr.on('data', (c: Buffer) => (out += c.toString()));
        p.on('exit', () => resolve(out));
      });
    const stopped = (child: ReturnType<typeof start>['child']) => new Promise((resolve) => child.once('exit', resolve));

    const a = start();
    const banner = await a.ready;
    expect(banner).toMatch(
      /^Embedded cluster \(Kubernetes 1\.34, simulated pods\) listening at https:\/\/127\.0\.0\.1:\d+\nexport KUBECONFIG=/,
    );
    expect(existsSync(join(dir, 'kubeconfig'))).toBe(true);
    expect(await run('create', 'namespace', 'survivor')).toBe('namespace/survivor created\n');
    const exitA = stopped(a.child);
    a.child.kill('SIGTERM');
    await exitA;

    const b = start();
    await b.ready;
    expect(await run('get', 'namespace', 'survivor', '-o', 'name')).toBe('namespace/survivor\n');
    const exitB = stopped(b.child);
    b.child.kill('SIGTERM');
    await exitB;
  });
});
