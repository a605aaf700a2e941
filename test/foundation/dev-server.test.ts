import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabClient, TerminalClient } from '../helpers/lab-client.ts';
import { projectRoot } from '../helpers/project.ts';

/** `npm run dev` is `astro dev`: this drives a lab session through it, end to end. */
let child: ChildProcess;
let url = '';
let output = '';
const dataDir = mkdtempSync(join(tmpdir(), 'dev-server-'));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  child = spawn(
    process.execPath,
    [join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs'), 'dev', '--port', String(port)],
    {
      cwd: projectRoot,
      // As a developer runs it: vitest's NODE_ENV=test and VITEST* would change how Astro serves pages.
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_ENV' && !k.startsWith('VITEST'))),
        LAB_DATA_DIR: dataDir,
        ASTRO_TELEMETRY_DISABLED: '1',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`astro dev did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/lab server mounted/.test(output) && /ready in/.test(output) && output.includes(`:${port}/`)) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${port}/`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`astro dev exited with ${code}:\n${output}`));
    });
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run dev', () => {
  it('serves a lab session end to end: session, terminal WebSocket beside Vite, check', async () => {
    const client = new LabClient(url);
    const session = await client.start('security-basics');
    expect(session.backend).toBe('embedded');
    const term = TerminalClient.for(url, session);
    await term.opened;
    term.run('kubectl get namespace default -o name');
    await term.waitFor('namespace/default', 30_000);
    await term.close();
    const check = await client.request(
      'POST',
      `/api/sessions/${session.id}/exercises/restricted-namespace/check?lang=en`,
    );
    expect(check.status).toBe(200);
    expect(check.json).toEqual({
      exercise: 'restricted-namespace',
      passed: false,
      results: [{ kind: 'assert', passed: false, message: 'Namespace shop does not exist.' }],
    });
    // The site itself is still Astro's.
    const page = await fetch(`${url}en/labs/security-basics/`);
    expect(page.status, output.slice(-1500)).toBe(200);
    expect(await page.text()).toContain('data-exercise="restricted-namespace"');
  }, 90_000);
});
