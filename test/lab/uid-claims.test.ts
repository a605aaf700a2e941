import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UidClaims } from '../../server/lab/isolation/uid-claims.ts';

const base = 1_000_000;
let dir: string;

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('learner uid claims (machine-wide, across lab servers)', () => {
  it('two servers on one machine never get the same uid', () => {
    dir = mkdtempSync(join(tmpdir(), 'uid-claims-'));
    const a = new UidClaims(dir, base);
    const b = new UidClaims(dir, base);
    const fromA = [a.claim(), a.claim()];
    const fromB = [b.claim(), b.claim()];
    expect(new Set([...fromA, ...fromB]).size).toBe(4);
    expect(readFileSync(join(dir, String(fromA[0])), 'utf8')).toBe(String(process.pid));
    // A resumed session asking for a uid another server holds gets another one.
    expect(b.claim(fromA[0])).not.toBe(fromA[0]);
  });

  it('a released uid, or one whose server died, can be claimed again', () => {
    dir = mkdtempSync(join(tmpdir(), 'uid-claims-'));
    const a = new UidClaims(dir, base);
    const uid = a.claim();
    a.release(uid);
    expect(a.claim()).toBe(uid);
    // A claim left by a process that is gone (kill -9) is stale.
    const dead = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
    writeFileSync(join(dir, String(base + 7)), String(dead));
    expect(new UidClaims(dir, base).claim(base + 7)).toBe(base + 7);
  });
});
