import { describe, expect, it } from 'vitest';
import { doctor, formatDoctor } from '../../server/tools/doctor.ts';
import { kind, RecordedRunner } from '../lab/kind-recorded.ts';

const low = async (path: string) => (path.endsWith('watches') ? '8192' : '128');
const raised = async (path: string) => (path.endsWith('watches') ? '524288' : '512');
const env = { PATH: '/nonexistent', LAB_TOOLS_DIR: '/nonexistent-tools' };

describe('labs doctor (recorded tool outputs)', () => {
  it('on a machine without Docker names every missing piece with its fix', async () => {
    const runner = new RecordedRunner()
      .on('docker version', { stdout: '28.2.2' })
      .on('docker info', {
        exitCode: 1,
        stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      })
      .on('', { exitCode: 127, notFound: true });
    const checks = await doctor({ runner, env, readSysctl: low });
    const byName = new Map(checks.map((c) => [c.name, c]));
    expect(byName.get('Docker engine')).toMatchObject({ ok: false, fix: 'start it: systemctl start docker' });
    expect(byName.get('kind')).toMatchObject({ ok: false, detail: 'not installed' });
    expect(byName.get('kind')!.fix).toContain('install kind v0.33.0');
    expect(byName.get('kind node image')!.fix).toMatch(/docker pull kindest\/node:v1\.34\.11@sha256:[a-f0-9]{64}/);
    expect(byName.get('inotify limits')!.fix).toContain('fs.inotify.max_user_watches=524288');
    for (const tool of ['trivy', 'cosign', 'crane'])
      expect(byName.get(tool)!.fix).toContain('npm run labs -- tools fetch');
    const text = formatDoctor(checks);
    for (const c of checks.filter((x) => !x.ok)) expect(text).toContain(`fix (${c.for}): ${c.fix}`);
    expect(text).toContain('The kind backend cannot run here yet');
  });

  it('passes the kind pieces with the pinned kind, a running Docker and the node image pulled', async () => {
    const runner = new RecordedRunner()
      .on('docker version', { stdout: '28.2.2' })
      .on('docker info', { stdout: '"28.2.2"' })
      .on('docker image inspect', { stdout: 'sha256:1234' })
      .on('kind version', { stdout: kind.version })
      .on('', { exitCode: 127, notFound: true });
    const checks = await doctor({ runner, env, readSysctl: raised });
    const ok = (name: string) => checks.find((c) => c.name === name)!.ok;
    expect(['Docker CLI', 'Docker engine', 'kind', 'kind node image', 'inotify limits'].map(ok)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(checks.find((c) => c.name === 'kind')!.detail).toBe('v0.33.0');
  });
});
