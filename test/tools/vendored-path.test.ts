import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linkTools, toolsDir } from '../../server/lab/isolation/kubectl-pin.ts';
import { toolInstalled } from '../../server/lab/tools.ts';

const dirs: string[] = [];
afterAll(async () => {
  delete process.env.LAB_TOOLS_DIR;
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('fetched tools on learners’ PATH', () => {
  it('hard-links the fetched binaries into the session tools folder, which comes first on PATH', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vendored-'));
    dirs.push(root);
    const tools = join(root, 'tools');
    await mkdir(join(tools, 'bin'), { recursive: true });
    await writeFile(join(tools, 'bin', 'cosign'), '#!/bin/sh\n', { mode: 0o755 });
    process.env.LAB_TOOLS_DIR = tools;
    const runDir = join(root, 'run');
    await mkdir(runDir);
    await linkTools(runDir, undefined);
    const linked = await stat(join(toolsDir(runDir), 'cosign'));
    expect(linked.ino).toBe((await stat(join(tools, 'bin', 'cosign'))).ino);
    expect(toolInstalled('cosign')).toBe(true);
    // A tool that was not fetched is not linked, and a removed one disappears on the next prepare.
    await expect(stat(join(toolsDir(runDir), 'trivy'))).rejects.toThrow();
    await rm(join(tools, 'bin', 'cosign'));
    await linkTools(runDir, undefined);
    await expect(stat(join(toolsDir(runDir), 'cosign'))).rejects.toThrow();
  });
});
