import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyResult, ExerciseResult, SessionInfo } from '../../src/contracts/protocol.ts';
import { BrowserLikeClient } from '../helpers/browser-like-client.ts';
import { TerminalClient } from '../helpers/lab-client.ts';
import { startServer, type RunningServer } from '../helpers/server.ts';

/**
 * The session timer (expiry in the protocol, the learner's Extend with its cap) and "Apply the
 * solution" (files written and commands run as the learner, never through a planted symlink),
 * against a real lab server and its embedded clusters.
 */
const sessionTtlMinutes = 60;
const extendMinutes = 30;
const maxExtensions = 2;
let dataDir: string;
let outside: string;
let server: RunningServer;
let flags: string[];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'timer-apply-'));
  outside = await mkdtemp(join(tmpdir(), 'outside-the-workspace-'));
  // Writable by everyone, so that a write following a symlink here would succeed even as the learner's uid.
  await chmod(outside, 0o777);
  flags = [
    '--data-dir',
    dataDir,
    '--session-ttl',
    String(sessionTtlMinutes),
    '--idle-ttl',
    '600',
    '--extend-minutes',
    String(extendMinutes),
    '--max-extensions',
    String(maxExtensions),
  ];
  server = await startServer(flags);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

let accounts = 0;
/** A signed-in learner: every state change needs the CSRF token, as in the browser. */
async function signedIn(): Promise<BrowserLikeClient> {
  const client = new BrowserLikeClient(server.url);
  await client.request('GET', '/api/auth/me');
  const name = `timer-learner-${++accounts}`;
  const res = await client.request('POST', '/api/auth/signup', {
    username: name,
    email: `${name}@example.org`,
    password: 'correct horse battery',
  });
  expect(res.status).toBe(201);
  return client;
}

async function startLab(client: BrowserLikeClient, labId: string): Promise<SessionInfo> {
  const created = await client.request('POST', '/api/sessions', { labId });
  expect(created.status, created.text).toBe(201);
  for (let i = 0; i < 400; i++) {
    const info = (await client.request('GET', `/api/sessions/${String(created.json.id)}`))
      .json as unknown as SessionInfo;
    if (info.state === 'ready') return info;
    if (info.state === 'failed') throw new Error(`session failed: ${info.error}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('session did not become ready');
}

async function inShell(info: SessionInfo, command: string): Promise<void> {
  const term = TerminalClient.for(server.url, info);
  await term.opened;
  term.run(`${command}; echo planted-$((6*7))`);
  await term.waitFor('planted-42');
  await term.close();
}

const minutes = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 60_000;

describe('the session timer', () => {
  it('exposes the expiry; Extend moves it by the configured time; the cap is enforced', async () => {
    const client = await signedIn();
    const info = await startLab(client, 'security-basics');
    expect(info.expiresBecause).toBe('lifetime');
    expect(minutes(info.createdAt, info.expiresAt)).toBeCloseTo(sessionTtlMinutes, 5);
    expect(info.extensionsLeft).toBe(maxExtensions);
    expect(info.extendMinutes).toBe(extendMinutes);

    // A state change: without the CSRF token it is refused and nothing moves.
    const forged = await client.request('POST', `/api/sessions/${info.id}/extend`, undefined, { csrf: false });
    expect(forged.status).toBe(403);
    // Someone else cannot extend it either.
    const other = await signedIn();
    expect((await other.request('POST', `/api/sessions/${info.id}/extend`)).status).toBe(404);

    let expiresAt = info.expiresAt;
    for (let i = 1; i <= maxExtensions; i++) {
      const res = await client.request('POST', `/api/sessions/${info.id}/extend`);
      expect(res.status, res.text).toBe(200);
      const extended = res.json as unknown as SessionInfo;
      expect(minutes(expiresAt, extended.expiresAt)).toBeCloseTo(extendMinutes, 5);
      expect(extended.extensionsLeft).toBe(maxExtensions - i);
      expiresAt = extended.expiresAt;
    }
    const refused = await client.request('POST', `/api/sessions/${info.id}/extend`);
    expect(refused.status).toBe(409);
    expect(refused.json.error).toBe('extend_limit');
    const after = (await client.request('GET', `/api/sessions/${info.id}`)).json as unknown as SessionInfo;
    expect(after.expiresAt).toBe(expiresAt);
    expect(minutes(after.createdAt, after.expiresAt)).toBeCloseTo(sessionTtlMinutes + maxExtensions * extendMinutes, 5);

    // A restarted server remembers the extensions: the cap still holds.
    await server.stop();
    server = await startServer(flags);
    const again = new BrowserLikeClient(server.url);
    for (const [k, v] of client.jar) again.jar.set(k, v);
    let resumed: SessionInfo | undefined;
    for (let i = 0; i < 400 && resumed?.state !== 'ready'; i++) {
      resumed = (await again.request('GET', `/api/sessions/${info.id}`)).json as unknown as SessionInfo;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(resumed?.state).toBe('ready');
    expect(resumed?.extensionsLeft).toBe(0);
    expect(resumed?.expiresAt).toBe(expiresAt);
    expect((await again.request('POST', `/api/sessions/${info.id}/extend`)).status).toBe(409);
  }, 90_000);
});

describe('apply the solution', () => {
  it('writes the files, runs the commands as the learner, then Check passes and progress says applied', async () => {
    const client = await signedIn();
    const info = await startLab(client, 'harden-deployment');
    const check = async () =>
      (await client.request('POST', `/api/sessions/${info.id}/exercises/restricted-pods/check?lang=en`))
        .json as unknown as ExerciseResult;
    expect((await check()).passed).toBe(false);

    const forged = await client.request('POST', `/api/sessions/${info.id}/exercises/restricted-pods/apply`, undefined, {
      csrf: false,
    });
    expect(forged.status).toBe(403);

    const res = await client.request('POST', `/api/sessions/${info.id}/exercises/restricted-pods/apply`);
    expect(res.status, res.text).toBe(200);
    const applied = res.json as unknown as ApplyResult;
    expect(applied.ok).toBe(true);
    expect(applied.files).toEqual(['web-deployment.yaml']);
    expect(applied.commands.length).toBeGreaterThan(0);
    expect(applied.commands.every((c) => c.exitCode === 0)).toBe(true);
    const solution = (await client.request('POST', `/api/labs/harden-deployment/exercises/restricted-pods/solution`))
      .json as { files: Record<string, string> };
    const written = join(dataDir, 'homes', info.id, 'web-deployment.yaml');
    expect(await readFile(written, 'utf8')).toBe(solution.files['web-deployment.yaml']);

    const result = await check();
    expect(result.passed, JSON.stringify(result.results)).toBe(true);
    const progress = (await client.request('GET', '/api/progress?lab=harden-deployment')).json.progress as Array<
      Record<string, unknown>
    >;
    expect(progress.find((p) => p.exercise === 'restricted-pods')).toMatchObject({
      passed: true,
      solutionShown: true,
      solutionApplied: true,
    });
  }, 90_000);

  it('replaces a planted symlink instead of writing through it: the file outside is untouched', async () => {
    const client = await signedIn();
    const info = await startLab(client, 'harden-deployment');
    const victim = join(outside, 'victim.yaml');
    const canary = 'canary: outside the workspace\n';
    await writeFile(victim, canary);
    await chmod(victim, 0o666);
    await inShell(info, `ln -sf ${victim} ~/web-deployment.yaml && test -L ~/web-deployment.yaml`);
    const home = join(dataDir, 'homes', info.id);
    expect((await lstat(join(home, 'web-deployment.yaml'))).isSymbolicLink()).toBe(true);

    const res = await client.request('POST', `/api/sessions/${info.id}/exercises/restricted-pods/apply`);
    expect(res.status, res.text).toBe(200);
    expect(await readFile(victim, 'utf8')).toBe(canary);
    const target = await lstat(join(home, 'web-deployment.yaml'));
    expect(target.isSymbolicLink()).toBe(false);
    expect(target.isFile()).toBe(true);
  }, 90_000);

  it('refuses a folder on the path that is a symlink out of HOME: nothing is created outside', async () => {
    const client = await signedIn();
    const info = await startLab(client, 'ci-gate');
    const folder = join(outside, 'github');
    await mkdir(folder);
    await chmod(folder, 0o777);
    await inShell(info, `rm -rf ~/.github && ln -s ${folder} ~/.github`);

    const res = await client.request('POST', `/api/sessions/${info.id}/exercises/pin-the-workflow/apply`);
    expect(res.status).toBe(409);
    expect(res.json.error).toBe('apply_refused');
    expect(await readdir(folder)).toEqual([]);
    // Refused before anything was recorded as applied.
    const progress = (await client.request('GET', '/api/progress?lab=ci-gate')).json.progress as Array<
      Record<string, unknown>
    >;
    expect(progress.find((p) => p.exercise === 'pin-the-workflow')?.solutionApplied).toBeUndefined();
  }, 90_000);
});
