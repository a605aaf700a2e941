import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, type SandboxSession } from '../../server/lab/isolation/sandbox.ts';

/**
 * Server writes into a learner's HOME without the sandbox's namespaces (single-learner mode,
 * where the server's own user writes): planted symlinks are replaced or refused, never followed.
 */
describe('writing into HOME without isolation', () => {
  let root: string;
  let session: SandboxSession;
  const sandbox = Sandbox.singleUser();

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sandbox-writes-'));
    await mkdir(join(root, 'home'));
    await mkdir(join(root, 'outside'));
    session = {
      id: 's',
      uid: process.getuid?.() ?? 0,
      gid: 0,
      home: join(root, 'home'),
      runDir: join(root, 'run'),
      image: '',
    };
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('replaces a symlinked file with the new file; its target outside HOME keeps its content', async () => {
    const victim = join(root, 'outside', 'victim');
    await writeFile(victim, 'canary\n');
    await symlink(victim, join(session.home, 'deploy.yaml'));
    await sandbox.writeFiles(session, [{ path: 'deploy.yaml', content: 'kind: Deployment\n' }]);
    expect(await readFile(victim, 'utf8')).toBe('canary\n');
    expect((await lstat(join(session.home, 'deploy.yaml'))).isSymbolicLink()).toBe(false);
    expect(await readFile(join(session.home, 'deploy.yaml'), 'utf8')).toBe('kind: Deployment\n');
  });

  it('refuses a folder on the way that is a symlink, creating nothing outside HOME', async () => {
    await symlink(join(root, 'outside'), join(session.home, 'manifests'));
    await expect(sandbox.writeFiles(session, [{ path: 'manifests/sub/policy.yaml', content: 'x' }])).rejects.toThrow(
      /manifests is a symbolic link/,
    );
    expect(await readdir(join(root, 'outside'))).toEqual([]);
  });

  it('still creates missing folders and sets the mode', async () => {
    await sandbox.writeFiles(session, [{ path: 'a/b/run.sh', content: 'echo hi\n', mode: 0o755 }]);
    expect((await lstat(join(session.home, 'a', 'b', 'run.sh'))).mode & 0o777).toBe(0o755);
    expect(await readdir(session.home)).toEqual(['a']);
  });
});
