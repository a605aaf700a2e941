import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkKinds } from '../../server/grading/registry.ts';
import { projectRoot } from '../helpers/project.ts';

const cli = join(projectRoot, 'server', 'cli', 'labs.ts');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: projectRoot, timeout: 300_000 });
const dirs: string[] = [];
const labIds = readdirSync(join(projectRoot, 'labs'))
  .filter((d) => existsSync(join(projectRoot, 'labs', d, 'lab.yaml')))
  .sort();
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('labs CLI over the labs in this repository', () => {
  it('validates every lab', () => {
    const out = run('validate');
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/^\d+ lab\(s\) valid\n$/);
    expect(out.status).toBe(0);
  });

  // One test per lab, so a slow machine gets a time limit per lab and a failure names its lab.
  it.each(labIds)(
    'tests lab %s: its exercises fail on a fresh session and pass with the reference solution',
    (id) => {
      const out = run('test', id);
      expect(out.stdout.split('\n')[0]).toMatch(/^LAB\s+EXERCISE\s+FAILS BEFORE\s+PASSES AFTER\s+DETAIL$/);
      expect(out.stdout).not.toMatch(/\bNO\b/);
      expect(out.stdout).toMatch(/^\d+ exercise\(s\) in [01] lab\(s\) OK(, \d+ skipped)?$/m);
      expect(out.status).toBe(0);
    },
    300_000,
  );

  it('found the labs of this repository', () => {
    expect(labIds.length).toBeGreaterThan(25);
  });

  it('lists the labs', () => {
    expect(run('list').stdout).toMatch(
      /^security-basics\s+embedded,kind\s+3 exercise\(s\)\s+First security steps in the cluster$/m,
    );
  });

  it('names an unknown lab clearly', () => {
    const out = run('test', 'no-such-lab');
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('labs: unknown lab "no-such-lab"; known labs: ');
  });
});

describe('labs validate on a broken lab', () => {
  it('reports every problem with file:line and the field, and exits non-zero', async () => {
    const root = await mkdtemp(join(tmpdir(), 'broken-labs-'));
    dirs.push(root);
    const lab = join(root, 'broken');
    await cp(join(projectRoot, 'labs', 'security-basics'), lab, { recursive: true });
    let yaml = await readFile(join(lab, 'lab.yaml'), 'utf8');
    yaml = yaml.replace('id: security-basics', 'id: broken');
    // 1. a missing solution, 2. an unknown check kind
    const inventorySolution = [
      '    solution:',
      '      commands:',
      '        - kubectl get serviceaccounts -n shop -o yaml > inventory.yaml',
      '',
    ].join('\n');
    expect(yaml).toContain(inventorySolution);
    yaml = yaml.replace(inventorySolution, '');
    yaml = yaml.replace('      - kind: command\n', '      - kind: telepathy\n');
    await writeFile(join(lab, 'lab.yaml'), yaml);
    // 3. a missing locale
    await rm(join(lab, 'lab.en.mdx'));
    const out = run('validate', root);
    expect(out.status).toBe(1);
    const lines = out.stderr.trim().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^broken/lab\\.yaml:\\d+: exercises\\[2\\]\\.checks\\[0\\]\\.kind: unknown check kind "telepathy"; known kinds: ${checkKinds.join(', ')}$`,
        ),
      ),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^broken\/lab\.yaml:\d+: exercises\[2\]\.solution: /));
    expect(lines).toContainEqual('broken/lab.en.mdx:1: (file): instructions in English are missing (lab.en.mdx)');
    // 4. bad YAML in a second lab
    const bad = join(root, 'bad-yaml');
    await cp(lab, bad, { recursive: true });
    await writeFile(join(bad, 'lab.yaml'), 'id: bad-yaml\nexercises:\n  - id: x\n    title: [unclosed\n');
    const out2 = run('validate', root);
    expect(out2.stderr).toMatch(/^bad-yaml\/lab\.yaml:\d+: \(yaml\): /m);
    expect(out2.stdout).toMatch(/^\d+ problem\(s\) in 2 lab\(s\)$/m);
    // The missing English instructions only show once the YAML is valid: check it alone.
    await writeFile(
      join(lab, 'lab.yaml'),
      (await readFile(join(projectRoot, 'labs', 'security-basics', 'lab.yaml'), 'utf8')).replace(
        'id: security-basics',
        'id: broken',
      ),
    );
    const out3 = run('validate', lab);
    expect(out3.stderr).toBe('broken/lab.en.mdx:1: (file): instructions in English are missing (lab.en.mdx)\n');
    expect(out3.status).toBe(1);
  });
});
