import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/project.ts';

function versionTuple(version: string): number[] {
  return version.replace(/^v/, '').split('.').map(Number);
}

describe('runtime', () => {
  it('runs on Node 22.12 or newer', () => {
    const [major = 0, minor = 0] = versionTuple(process.version);
    expect(major > 22 || (major === 22 && minor >= 12), `running on ${process.version}`).toBe(true);
  });

  it('npm scripts run on the pinned Node 24', () => {
    const printed = execFileSync('npm', ['run', '--silent', 'node-version'], {
      cwd: projectRoot,
      encoding: 'utf8',
    }).trim();
    expect(printed).toMatch(/^v24\.\d+\.\d+$/);
  });
});
