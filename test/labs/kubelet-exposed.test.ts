import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../src/contracts/lab.ts';
import { loadLabs } from '../../server/labs/catalog.ts';
import { projectRoot } from '../helpers/project.ts';
import { runRecordedCheck } from '../helpers/script-check.ts';

/**
 * kubelet-exposed needs a kind node, so its checks run here against recorded answers: a `kubectl`
 * double and a `docker` double whose `curl` inside the node prints the HTTP status the kubelet
 * gives (curl -w '%{http_code}': 200 with anonymous/AlwaysAllow, 401 Unauthorized for an
 * anonymous caller once anonymous auth is off, 403 Forbidden for a token Webhook authorization
 * refuses, 000 when nothing listens). The attack and the fix run end to end in the kind e2e suite.
 */

const labs = await loadLabs(join(projectRoot, 'labs'));
const lab = labs.get('kubelet-exposed')!.definition!;
let dir: string;
let bin: string;
let home: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubelet-exposed-'));
  bin = join(dir, 'bin');
  home = join(dir, 'home');
  await mkdir(bin, { recursive: true });
  await mkdir(home, { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// A bound ServiceAccount token as kubectl create token prints it (header.payload.signature).
const token =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6Ik1xWmR3In0.eyJhdWQiOlsiaHR0cHM6Ly9rdWJlcm5ldGVzLmRlZmF1bHQuc3ZjLmNsdXN0ZXIubG9jYWwiXSwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OnBheW1lbnRzOmF1ZGl0b3IifQ.c2lnbmF0dXJl';

interface Node {
  /** What curl prints for GET /pods without credentials, and with the auditor's token. */
  anonymous: string;
  withToken: string;
  ready?: boolean;
}

async function record(node: Node): Promise<void> {
  const kubectl = `#!/bin/bash
case "$*" in
  'get nodes -l node-role.kubernetes.io/control-plane -o jsonpath={.items[0].metadata.name}') printf 'lab-7f3a-control-plane' ;;
  '-n kube-system wait --for=condition=complete job/kubelet-legacy-config --timeout=60s') echo 'job.batch/kubelet-legacy-config condition met' ;;
  'wait --for=condition=Ready node/lab-7f3a-control-plane --timeout=60s') ${node.ready === false ? `echo 'error: timed out waiting for the condition on nodes/lab-7f3a-control-plane' >&2; exit 1` : `echo 'node/lab-7f3a-control-plane condition met'`} ;;
  '-n payments create token auditor --duration=10m') echo '${token}' ;;
  *) echo "unrecorded: kubectl $*" >&2; exit 99 ;;
esac
`;
  const docker = `#!/bin/bash
case "$*" in
  "exec lab-7f3a-control-plane curl -sk -o /dev/null -w %{http_code} https://127.0.0.1:10250/pods") printf '${node.anonymous}' ;;
  "exec lab-7f3a-control-plane curl -sk -o /dev/null -w %{http_code} -H Authorization: Bearer ${token} https://127.0.0.1:10250/pods") printf '${node.withToken}' ;;
  *) echo "unrecorded: docker $*" >&2; exit 99 ;;
esac
`;
  await writeFile(join(bin, 'kubectl'), kubectl);
  await writeFile(join(bin, 'docker'), docker);
  await chmod(join(bin, 'kubectl'), 0o755);
  await chmod(join(bin, 'docker'), 0o755);
}

function fixCheck(): Check {
  const exercise = lab.exercises.find((e) => e.id === 'close-the-kubelet')!;
  expect(lab.backends).toEqual(['kind']);
  return exercise.checks.find((c) => c.kind === 'script')!;
}

async function run(check: Check): Promise<{ passed: boolean; output: string }> {
  const { passed, output } = await runRecordedCheck(check, home, bin);
  return { passed, output: output.replace(/^The check ended with code 1: /, '') };
}

describe('kubelet-exposed: the fix is judged by what the kubelet answers', () => {
  it('the misconfigured kubelet (anonymous on, AlwaysAllow: 200 for everyone) is refused', async () => {
    await record({ anonymous: '200', withToken: '200' });
    expect(await run(fixCheck())).toEqual({
      passed: false,
      output: 'an anonymous GET /pods on the kubelet answered 200, not 401 Unauthorized',
    });
  });

  it('anonymous off but AlwaysAllow left in place is refused: any token still gets in', async () => {
    await record({ anonymous: '401', withToken: '200' });
    expect(await run(fixCheck())).toEqual({
      passed: false,
      output: 'ServiceAccount payments/auditor, which has no RBAC rights, got 200 from GET /pods, not 403 Forbidden',
    });
  });

  it('Webhook with anonymous still on (403 for system:anonymous) is refused', async () => {
    await record({ anonymous: '403', withToken: '403' });
    expect((await run(fixCheck())).output).toContain('answered 403, not 401');
  });

  it('a kubelet that is down (curl prints 000) or a node that is not Ready is refused', async () => {
    await record({ anonymous: '000', withToken: '000' });
    expect((await run(fixCheck())).output).toContain('answered 000');
    await record({ anonymous: '401', withToken: '403', ready: false });
    expect(await run(fixCheck())).toEqual({
      passed: false,
      output: 'node lab-7f3a-control-plane is not Ready: is the kubelet running?',
    });
  });

  it('401 for anonymous callers and 403 for a ServiceAccount without rights passes', async () => {
    await record({ anonymous: '401', withToken: '403' });
    expect(await run(fixCheck())).toEqual({ passed: true, output: 'The check passed.' });
  });
});

describe('kubelet-exposed: the loot and the setup', () => {
  const lootCheck = () => lab.exercises.find((e) => e.id === 'loot')!.checks[0]!;
  const grade = async (content: string | undefined) => {
    await rm(join(home, 'loot.txt'), { force: true });
    if (content !== undefined) await writeFile(join(home, 'loot.txt'), content);
    return run(lootCheck());
  };

  it('the key, with or without a trailing newline, passes; anything else is refused', async () => {
    expect((await grade('lgr_live_K7pQ2mX9vR4tZ8wN')).passed).toBe(true);
    expect((await grade('lgr_live_K7pQ2mX9vR4tZ8wN\n')).passed).toBe(true);
    expect((await grade(undefined)).passed).toBe(false);
    // The whole /pods JSON, or the key with other output around it, is not "just the key".
    expect((await grade('{"kind":"PodList"} lgr_live_K7pQ2mX9vR4tZ8wN')).passed).toBe(false);
    expect((await grade('bGdyX2xpdmVfSzdwUTJtWDl2UjR0Wjh3Tg==\n')).passed).toBe(false);
  });

  it('the Secret the ledger pod mounts holds exactly the key the check expects', async () => {
    const { readFile } = await import('node:fs/promises');
    const { parseAllDocuments } = await import('yaml');
    const docs = parseAllDocuments(
      await readFile(join(projectRoot, 'labs', 'kubelet-exposed', 'setup', 'payments.yaml'), 'utf8'),
    ).map((d) => d.toJSON() as { kind: string; stringData?: Record<string, string>; spec?: unknown });
    const secret = docs.find((d) => d.kind === 'Secret')!;
    expect(secret.stringData?.['api-key']).toBe('lgr_live_K7pQ2mX9vR4tZ8wN');
    expect(JSON.stringify(docs.find((d) => d.kind === 'Deployment')!.spec)).toContain('"mountPath":"/etc/ledger"');
  });
});
