import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTools, parseChecksums, readToolLock } from '../../server/tools/fetch-tools.ts';
import { pinnedTools } from '../../server/tools/pinned-tools.ts';

/**
 * `labs tools fetch` against a local release server laid out like GitHub releases
 * (/<owner>/<repo>/releases/download/<tag>/<file>), serving checksum files in the goreleaser
 * format. The archives are test fixtures holding a small script, not the tools.
 */
let root: string;
let server: Server;
let base: string;
const files = new Map<string, Buffer>();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function tarGz(member: string, content: string): Promise<Buffer> {
  const dir = await mkdtemp(join(root, 'tar-'));
  await writeFile(join(dir, member), content, { mode: 0o755 });
  await writeFile(join(dir, 'LICENSE'), 'fixture\n');
  execFileSync('tar', ['-czf', join(dir, 'out.tar.gz'), '-C', dir, member, 'LICENSE']);
  return readFile(join(dir, 'out.tar.gz'));
}

/** Publishes every pinned tool's x64 asset and its checksum file (with a neighbour line, as releases have). */
async function publish(tamper?: string): Promise<void> {
  files.clear();
  for (const tool of pinnedTools) {
    const asset = tool.asset('x64');
    const script = `#!/bin/sh\necho "fixture for ${tool.name} ${tool.version}"\n`;
    const data = tool.archive === 'binary' ? Buffer.from(script) : await tarGz(tool.member!, script);
    const prefix = `/${tool.repo}/releases/download/${tool.version}/`;
    const other = Buffer.from('other asset');
    const sums = `${sha(other)}  ${tool.asset('arm64')}\n${sha(data)}  ${asset}\n`;
    files.set(prefix + tool.checksums, Buffer.from(sums));
    // A tampered archive: same name, one byte changed after the checksum was published.
    const served = tamper === tool.name ? Buffer.concat([data, Buffer.from([0])]) : data;
    files.set(prefix + asset, served);
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tools-fetch-'));
  server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    res.writeHead(body ? 200 : 404).end(body ?? 'Not Found');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.close();
  await rm(root, { recursive: true, force: true });
});

describe('labs tools fetch', () => {
  it('parses real-format checksum files', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    expect(parseChecksums(`${a}  trivy_0.74.0_Linux-64bit.tar.gz\n${b} *cosign-linux-amd64\nnot a line\n`)).toEqual(
      new Map([
        ['trivy_0.74.0_Linux-64bit.tar.gz', a],
        ['cosign-linux-amd64', b],
      ]),
    );
  });

  it('downloads, verifies and installs the pinned tools, and writes the lock', async () => {
    await publish();
    const dir = join(root, 'ok');
    const lockPath = join(dir, 'tools.lock.json');
    const fetched = await fetchTools({ baseUrl: base, dir, lockPath, arch: 'x64' });
    expect(fetched.map((t) => `${t.name} ${t.version}`)).toEqual(['trivy v0.74.0', 'cosign v3.1.2', 'crane v0.22.0']);
    for (const tool of pinnedTools) {
      const bin = join(dir, 'bin', tool.name);
      expect((await stat(bin)).mode & 0o111).toBeTruthy();
      expect(execFileSync(bin, { encoding: 'utf8' })).toBe(`fixture for ${tool.name} ${tool.version}\n`);
    }
    const lock = await readToolLock(lockPath);
    const trivy = lock.tools.find((t) => t.name === 'trivy')!;
    const asset = files.get(`/aquasecurity/trivy/releases/download/v0.74.0/trivy_0.74.0_Linux-64bit.tar.gz`)!;
    expect(trivy.sha256).toBe(sha(asset));
    expect(trivy.url).toBe(`${base}/aquasecurity/trivy/releases/download/v0.74.0/trivy_0.74.0_Linux-64bit.tar.gz`);
  });

  it('refuses a tampered archive and installs nothing for it', async () => {
    await publish('cosign');
    const dir = join(root, 'tampered');
    const lockPath = join(dir, 'tools.lock.json');
    await expect(fetchTools({ baseUrl: base, dir, lockPath, arch: 'x64', only: ['cosign'] })).rejects.toThrow(
      /cosign v3\.1\.2: cosign-linux-amd64 has sha256 [a-f0-9]{64}, but cosign_checksums\.txt says [a-f0-9]{64}; refusing it/,
    );
    expect(existsSync(join(dir, 'bin', 'cosign'))).toBe(false);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('refuses a release whose checksum changed since the lock was written', async () => {
    await publish();
    const dir = join(root, 'relocked');
    await mkdir(dir, { recursive: true });
    const lockPath = join(dir, 'tools.lock.json');
    await fetchTools({ baseUrl: base, dir, lockPath, arch: 'x64', only: ['crane'] });
    // The release is re-published with a different archive and a matching checksum file.
    const prefix = '/google/go-containerregistry/releases/download/v0.22.0/';
    const changed = await tarGz('crane', '#!/bin/sh\necho changed\n');
    files.set(prefix + 'go-containerregistry_Linux_x86_64.tar.gz', changed);
    files.set(prefix + 'checksums.txt', Buffer.from(`${sha(changed)}  go-containerregistry_Linux_x86_64.tar.gz\n`));
    await expect(fetchTools({ baseUrl: base, dir, lockPath, arch: 'x64', only: ['crane'] })).rejects.toThrow(
      'differs from the lock file',
    );
    expect(execFileSync(join(dir, 'bin', 'crane'), { encoding: 'utf8' })).toBe('fixture for crane v0.22.0\n');
  });

  it('names a missing release asset', async () => {
    files.clear();
    await expect(
      fetchTools({ baseUrl: base, dir: join(root, 'none'), lockPath: join(root, 'none.lock'), only: ['trivy'] }),
    ).rejects.toThrow('HTTP 404');
  });
});
