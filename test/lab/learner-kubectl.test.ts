import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinnedKubectl } from '../../server/lab/isolation/kubectl-pin.ts';
import { Sandbox } from '../../server/lab/isolation/sandbox.ts';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

describe('pinnedKubectl picks the newest kubectl.1.NN within skew of a 1.34 cluster', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubectl-pin-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('skips versions outside 1.33-1.35 and prefers the newest inside', async () => {
    const bin = join(dir, 'a');
    await mkdir(bin);
    for (const name of ['kubectl', 'kubectl.1.31', 'kubectl.1.33', 'kubectl.1.36', 'kubectl.1.33.bak'])
      await writeFile(join(bin, name), '', { mode: 0o755 });
    expect(pinnedKubectl(`/nonexistent:${bin}`)).toBe(join(bin, 'kubectl.1.33'));
    await writeFile(join(bin, 'kubectl.1.35'), '', { mode: 0o755 });
    expect(pinnedKubectl(bin)).toBe(join(bin, 'kubectl.1.35'));
  });

  it('pins nothing when there is no versioned binary or no kubectl', async () => {
    const bin = join(dir, 'b');
    await mkdir(bin);
    await writeFile(join(bin, 'kubectl'), '', { mode: 0o755 });
    expect(pinnedKubectl(bin)).toBeUndefined();
    expect(pinnedKubectl(join(dir, 'missing'))).toBeUndefined();
  });
});

// The machine's PATH kubectl dispatches by server version and picks 1.32 for a 1.34 server,
// which then warns "version difference between client (1.32) and server (1.34) exceeds the
// supported minor version skew of +/-1" (kubectl pkg/cmd/version/version.go).
const has133 = kubectlBinaries(['1.33']).some((b) => b.version === '1.33');

describe.skipIf(!has133)('learner processes run kubectl 1.33 against the 1.34 cluster', () => {
  const k = new KubectlHarness('kubectl');
  let root = '';
  beforeAll(async () => {
    await k.start();
    root = await mkdtemp(join(tmpdir(), 'learner-kubectl-'));
  }, 60_000);
  afterAll(async () => {
    await k.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('kubectl version shows client 1.33, server 1.34 and no skew warning', async () => {
    const sandbox = Sandbox.singleUser();
    const session = {
      id: 's1',
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      home: join(root, 'home'),
      runDir: join(root, 'run'),
      image: '',
    };
    await sandbox.prepare(session);
    const result = await sandbox.run(session, ['kubectl', 'version'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KUBECONFIG: k.kubeconfig },
      timeoutMs: 30_000,
      maxOutputBytes: 64 * 1024,
    });
    expect(result.exitCode).toBe(0);
    expect(result.all).toMatch(
      /^Client Version: v1\.33\.\d+\nKustomize Version: v[\d.]+\nServer Version: v1\.34\.1\n$/,
    );
    expect(result.all).not.toContain('WARNING');
  });
});
