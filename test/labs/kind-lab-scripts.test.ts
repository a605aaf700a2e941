import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../src/contracts/lab.ts';
import { decodeProtobufObject } from '../../server/cluster/embedded/endpoints/protobuf/decode.ts';
import { loadLabs } from '../../server/labs/catalog.ts';
import { projectRoot } from '../helpers/project.ts';
import { runRecordedCheck } from '../helpers/script-check.ts';

/**
 * The `script` checks of the kind-only exercises (container-escape's attack, harden-deployment's
 * runtime proof, etcd-encryption), run by the real script plug-in against recorded kubectl and
 * etcdctl outputs: this machine has no Docker, so their end-to-end proof is the kind e2e run.
 * A test double named `kubectl` answers each command with the bytes and exit code the real
 * tools give (the formats shown in the Kubernetes docs and printed by kubectl exec).
 */

const labs = await loadLabs(join(projectRoot, 'labs'));
let dir: string;
let home: string;
let bin: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kind-scripts-'));
  home = join(dir, 'home');
  bin = join(dir, 'bin');
  await mkdir(home, { recursive: true });
  await mkdir(bin, { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Recorded answers: the exact kubectl arguments → the file to print and the exit code. */
interface Recorded {
  args: string;
  stdout?: Buffer | string;
  stderr?: string;
  exit?: number;
}

async function recordKubectl(answers: Recorded[]): Promise<void> {
  const cases: string[] = [];
  for (const [i, a] of answers.entries()) {
    await writeFile(join(dir, `out${i}`), a.stdout ?? '');
    await writeFile(join(dir, `err${i}`), a.stderr ?? '');
    cases.push(
      `  '${a.args.replaceAll("'", "'\\''")}') cat '${dir}/out${i}'; cat '${dir}/err${i}' >&2; exit ${a.exit ?? 0} ;;`,
    );
  }
  const script = `#!/bin/bash\ncase "$*" in\n${cases.join('\n')}\n  *) echo "unrecorded: kubectl $*" >&2; exit 99 ;;\nesac\n`;
  await writeFile(join(bin, 'kubectl'), script);
  await chmod(join(bin, 'kubectl'), 0o755);
}

function scriptCheck(labId: string, exerciseId: string, index: number): Check {
  const exercise = labs.get(labId)!.definition!.exercises.find((e) => e.id === exerciseId)!;
  const check = exercise.checks.filter((c) => c.kind === 'script')[index]!;
  expect(exercise.backends ?? labs.get(labId)!.definition!.backends).toEqual(['kind']);
  return check;
}

/** Runs the check as graded, and without its message to see the script's own explanation. */
const run = (check: Check) => runRecordedCheck(check, home, bin);

const nodes = {
  args: 'get nodes -l node-role.kubernetes.io/control-plane -o jsonpath={.items[0].metadata.name}',
  stdout: 'lab-7f3a-control-plane',
};
const etcdGet = (secret: string) =>
  `-n kube-system exec etcd-lab-7f3a-control-plane -- etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key get /registry/secrets/${secret} --print-value-only`;

/** How the identity provider stores a Secret: "k8s\0" and a protobuf runtime.Unknown, as the API server writes it. */
function plaintextSecret(name: string, namespace: string, password: string): Buffer {
  const field = (n: number, value: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2, value.length]), value]);
  const s = (text: string) => Buffer.from(text);
  const meta = Buffer.concat([field(1, s(name)), field(3, s(namespace))]);
  const entry = Buffer.concat([field(1, s('password')), field(2, s(password))]);
  const secret = Buffer.concat([field(1, meta), field(2, entry), field(3, s('Opaque'))]);
  const typeMeta = Buffer.concat([field(1, s('v1')), field(2, s('Secret'))]);
  return Buffer.concat([s('k8s\0'), field(1, typeMeta), field(2, secret)]);
}

describe('etcd-encryption: etcdctl get decides', () => {
  const check = () => scriptCheck('etcd-encryption', 'rewrite-existing', 0);

  it('the recorded plaintext value is a real API server envelope (the project decoder reads it)', () => {
    const value = plaintextSecret('db-credentials', 'shop', 'S3cure-Only-Here');
    const decoded = decodeProtobufObject(value) as Record<string, unknown>;
    expect(decoded).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-credentials' },
      type: 'Opaque',
    });
  });

  it('refuses a Secret stored by the identity provider (k8s and a NUL byte, password readable)', async () => {
    await recordKubectl([
      nodes,
      { args: etcdGet('shop/db-credentials'), stdout: plaintextSecret('db-credentials', 'shop', 'S3cure-Only-Here') },
    ]);
    const result = await run(check());
    expect(result).toEqual({ passed: false, output: expect.stringContaining('in plain text') });
  });

  for (const prefix of [
    'k8s:enc:secretbox:v1:key1:',
    'k8s:enc:aesgcm:v1:key1:',
    'k8s:enc:aescbc:v1:key1:',
    'k8s:enc:kms:v2:vault-kms:',
  ]) {
    it(`accepts a value that starts with ${prefix}`, async () => {
      const ciphertext = Buffer.concat([
        Buffer.from(prefix),
        Buffer.from([0, 0xff, 0x0a, 0x13, 0x00, 0x7f, 0x80, 0x00, 0x01]),
      ]);
      await recordKubectl([nodes, { args: etcdGet('shop/db-credentials'), stdout: ciphertext }]);
      const result = await run(check());
      expect(result.passed).toBe(true);
      expect(result.output).toBe('The check passed.');
    });
  }

  it('refuses a Secret etcd does not have, and an etcd it cannot reach', async () => {
    await recordKubectl([nodes, { args: etcdGet('shop/db-credentials'), stdout: '' }]);
    expect(await run(check())).toEqual({ passed: false, output: expect.stringContaining('is not in etcd') });
    await recordKubectl([
      nodes,
      {
        args: etcdGet('shop/db-credentials'),
        stderr:
          '{"level":"warn","msg":"retrying of unary invoker failed"}\nError: context deadline exceeded\ncommand terminated with exit code 1\n',
        exit: 1,
      },
    ]);
    expect(await run(check())).toEqual({ passed: false, output: expect.stringContaining('could not read etcd') });
  });

  it('the new-Secret check reads shop/api-token, and the flag check reads the API server command line', async () => {
    const newSecret = scriptCheck('etcd-encryption', 'encrypt-new', 1);
    await recordKubectl([nodes, { args: etcdGet('shop/api-token'), stdout: 'k8s:enc:secretbox:v1:key1:\u0001\u0002' }]);
    expect((await run(newSecret)).passed).toBe(true);
    const flag = scriptCheck('etcd-encryption', 'encrypt-new', 0);
    const apiserver =
      '-n kube-system get pod kube-apiserver-lab-7f3a-control-plane -o jsonpath={.spec.containers[0].command}';
    await recordKubectl([
      nodes,
      {
        args: apiserver,
        stdout: '["kube-apiserver","--advertise-address=172.18.0.2","--authorization-mode=Node,RBAC"]',
      },
    ]);
    expect(await run(flag)).toEqual({
      passed: false,
      output: expect.stringContaining('without --encryption-provider-config'),
    });
    await recordKubectl([
      nodes,
      {
        args: apiserver,
        stdout:
          '["kube-apiserver","--advertise-address=172.18.0.2","--encryption-provider-config=/etc/kubernetes/enc/enc.yaml"]',
      },
    ]);
    expect((await run(flag)).passed).toBe(true);
  });
});

describe('harden-deployment runtime proof: id -u, touch /x, touch /tmp', () => {
  const check = () => scriptCheck('harden-deployment', 'runtime-proof', 0);
  const rollout = {
    args: '-n shop rollout status deployment/web --timeout=60s',
    stdout: 'deployment "web" successfully rolled out\n',
  };
  const id = (uid: string) => ({ args: '-n shop exec deploy/web -c web -- id -u', stdout: `${uid}\n` });
  const readOnly = (path: string) => ({
    args: `-n shop exec deploy/web -c web -- touch ${path}`,
    stderr: `touch: ${path}: Read-only file system\ncommand terminated with exit code 1\n`,
    exit: 1,
  });
  const writable = (path: string) => ({ args: `-n shop exec deploy/web -c web -- touch ${path}` });

  it('passes for UID 10001, a read-only / and a writable /tmp', async () => {
    await recordKubectl([rollout, id('10001'), readOnly('/x'), writable('/tmp/lab-check')]);
    expect(await run(check())).toEqual({ passed: true, output: 'The check passed.' });
  });

  it('refuses a container running as root', async () => {
    await recordKubectl([rollout, id('0'), readOnly('/x'), writable('/tmp/lab-check')]);
    expect(await run(check())).toEqual({ passed: false, output: expect.stringContaining('runs as UID 0') });
  });

  it('refuses a writable root filesystem', async () => {
    await recordKubectl([rollout, id('10001'), writable('/x'), writable('/tmp/lab-check')]);
    expect(await run(check())).toEqual({
      passed: false,
      output: expect.stringContaining('root filesystem is writable'),
    });
  });

  it('refuses a read-only root without a writable /tmp', async () => {
    await recordKubectl([rollout, id('10001'), readOnly('/x'), readOnly('/tmp/lab-check')]);
    expect(await run(check())).toEqual({ passed: false, output: expect.stringContaining('/tmp is not writable') });
  });

  it('refuses a Deployment whose pods never become ready (the kubelet refused the named USER)', async () => {
    await recordKubectl([
      {
        args: rollout.args,
        stdout: 'Waiting for deployment "web" rollout to finish: 0 of 2 updated replicas are available...\n',
        stderr: 'error: timed out waiting for the condition\n',
        exit: 1,
      },
    ]);
    expect(await run(check())).toEqual({ passed: false, output: expect.stringContaining('is not ready') });
  });
});

describe('container-escape attack: loot.txt must name a node kubelet', () => {
  const check = () => scriptCheck('container-escape', 'escape', 0);
  const nodesAll = {
    args: 'get nodes -o jsonpath={.items[*].metadata.name}',
    stdout: 'lab-7f3a-control-plane lab-7f3a-worker',
  };

  it('accepts the kubelet identity that kubectl auth whoami printed, with or without a newline', async () => {
    await recordKubectl([nodesAll]);
    await writeFile(join(home, 'loot.txt'), 'system:node:lab-7f3a-worker');
    expect((await run(check())).passed).toBe(true);
    await writeFile(join(home, 'loot.txt'), 'system:node:lab-7f3a-control-plane\n');
    expect((await run(check())).passed).toBe(true);
  });

  it('refuses a guess, an admin identity or a node that does not exist', async () => {
    await recordKubectl([nodesAll]);
    for (const wrong of [
      'kubernetes-admin',
      'system:node:',
      'system:node:lab-7f3a-worker2',
      'system:serviceaccount:ops:default',
    ]) {
      await writeFile(join(home, 'loot.txt'), wrong);
      expect(await run(check()), wrong).toEqual({
        passed: false,
        output: expect.stringContaining('not the identity of any node'),
      });
    }
  });
});
