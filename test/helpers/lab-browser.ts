import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './chromium.ts';
import { startServer, type RunningServer } from './server.ts';

export interface LabBrowser {
  server: RunningServer;
  browser: Browser;
}

/**
 * For one test file: the course server with a data folder of its own (and `args`, server
 * flags), and Chromium; both filled in by beforeAll.
 */
export function useLabServerAndChromium(dataDirPrefix: string, args: string[] = []): LabBrowser {
  const env = {} as LabBrowser;
  let dataDir = '';
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), dataDirPrefix));
    env.server = await startServer(['--data-dir', dataDir, ...args]);
    env.browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await env.browser?.close();
    await env.server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return env;
}
