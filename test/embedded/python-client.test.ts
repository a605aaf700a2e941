import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const run = promisify(execFile);
/** Debian's interpreter: python3-kubernetes installs into its dist-packages (.ci/run installs it). */
const python = '/usr/bin/python3';

async function hasClient(): Promise<boolean> {
  if (!existsSync(python)) return false;
  try {
    await run(python, ['-c', 'import kubernetes']);
    return true;
  } catch {
    return false;
  }
}

const available = await hasClient();
if (!available) {
  if (process.env.CI === 'true') throw new Error('python3-kubernetes is missing: .ci/run installs it with apt-get');
  console.warn('python3-kubernetes not installed (apt-get install -y python3-kubernetes): python client suite skipped');
}
const binary = kubectlBinaries(['1.33'])[0];

describe.skipIf(!available || !binary)(
  'python-kubernetes (Debian python3-kubernetes) against the embedded cluster',
  () => {
    const k = new KubectlHarness(binary?.path ?? 'kubectl');
    beforeAll(() => k.start().then(() => undefined), 60_000);
    afterAll(() => k.stop());

    it('creates, lists, watches ADDED/MODIFIED/DELETED and requests a token with an audience', async () => {
      const script = join(import.meta.dirname, 'python', 'client_flow.py');
      const { stdout } = await run(python, [script, k.kubeconfig, 'default'], {
        timeout: 30_000,
        env: { HOME: k.home },
      });
      const result = JSON.parse(stdout) as {
        created: string;
        listed: string[];
        events: string[];
        audiences: string[];
        token: string;
      };
      expect(result.created).toBe('py');
      expect(result.listed).toEqual(['kube-root-ca.crt', 'py']);
      expect(result.events).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      expect(result.audiences).toEqual(['vault']);
      // The token is an RS256 JWT ({"alg":"RS256"... base64url-encoded).
      expect(result.token).toBe('eyJhbGciOi');
    });
  },
);
