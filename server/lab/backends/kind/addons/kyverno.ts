import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { CommandResult, RunOptions } from '../../command-runner.ts';
import type { StageEvent } from '../../../../../src/contracts/protocol.ts';

export class AddonError extends Error {}

/** Where the rendered manifest and its recorded checksum live (`labs addons render` writes both). */
export interface KyvernoManifest {
  lockPath: string;
}

export const defaultKyvernoManifest: KyvernoManifest = {
  lockPath: join(dirname(fileURLToPath(import.meta.url)), 'kyverno.lock.json'),
};

export interface KyvernoLock {
  chart: string;
  repo: string;
  chartVersion: string;
  appVersion: string;
  values: string;
  manifest: string;
  sha256: string | null;
}

export async function readKyvernoLock(manifest: KyvernoManifest): Promise<KyvernoLock> {
  return JSON.parse(await readFile(manifest.lockPath, 'utf8')) as KyvernoLock;
}

/**
 * The manifest's path once its sha256 matches the lock: a manifest that was never rendered,
 * or was changed after rendering, is refused before anything is applied.
 */
export async function verifiedKyvernoManifest(manifest: KyvernoManifest): Promise<string> {
  const lock = await readKyvernoLock(manifest);
  const path = join(dirname(manifest.lockPath), lock.manifest);
  if (!lock.sha256)
    throw new AddonError(
      `The Kyverno ${lock.appVersion} manifest has not been rendered in this copy of the course. Run \`npm run labs -- addons render\` on a machine with helm (it renders chart ${lock.chart} ${lock.chartVersion} with ${lock.values} and records its checksum).`,
    );
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new AddonError(
      `The Kyverno manifest ${path} is missing; run \`npm run labs -- addons render\` where helm exists.`,
    );
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== lock.sha256)
    throw new AddonError(
      `The Kyverno manifest ${lock.manifest} does not match its recorded checksum (expected sha256 ${lock.sha256}, got ${actual}); refusing to apply it. Render it again with \`npm run labs -- addons render\`.`,
    );
  return path;
}

export interface AddonContext {
  kubectl(args: string[], options?: RunOptions): Promise<CommandResult>;
  onStage(stage: Omit<StageEvent, 'at'>): void;
  signal?: AbortSignal;
  sleep(ms: number): Promise<void>;
}

const probePolicy = 'lab-readiness-probe';
const probeNamespace = 'lab-probe';

/** A throwaway policy that denies one labelled pod: it proves the webhook is wired, not just running. */
function probeManifest(): string {
  return [
    stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: probeNamespace } }),
    stringify({
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name: probePolicy },
      spec: {
        background: false,
        rules: [
          {
            name: 'deny-probe',
            match: {
              any: [
                {
                  resources: {
                    kinds: ['Pod'],
                    namespaces: [probeNamespace],
                    selector: { matchLabels: { 'lab-readiness': 'deny' } },
                  },
                },
              ],
            },
            validate: { failureAction: 'Enforce', message: 'readiness probe', deny: {} },
          },
        ],
      },
    }),
  ].join('---\n');
}

function failure(what: string, result: CommandResult): AddonError {
  return new AddonError(`${what}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')}`);
}

/**
 * Installs Kyverno from the verified manifest and returns only once it admits and denies:
 * pods ready, then a throwaway policy Ready, then a probe pod denied by it (server-side dry run).
 * Idempotent, so an adopted cluster re-runs it to re-check readiness.
 */
export async function installKyverno(ctx: AddonContext, manifest = defaultKyvernoManifest): Promise<void> {
  const stage = (message: string, progress: number) =>
    ctx.onStage({ stage: 'installing-add-ons', message: `Installing Kyverno: ${message}`, progress });
  stage('checking the manifest checksum', 0.05);
  const path = await verifiedKyvernoManifest(manifest);
  const lock = await readKyvernoLock(manifest);
  stage(`applying Kyverno ${lock.appVersion}`, 0.15);
  const applied = await ctx.kubectl(['apply', '--server-side', '--force-conflicts', '-f', path], {
    timeoutMs: 180_000,
    signal: ctx.signal,
  });
  if (applied.exitCode !== 0) throw failure('applying the Kyverno manifest failed', applied);
  stage('waiting for its deployments', 0.35);
  const rolled = await ctx.kubectl(
    ['rollout', 'status', 'deployment', '-n', 'kyverno', '-l', 'app.kubernetes.io/part-of=kyverno', '--timeout=300s'],
    { timeoutMs: 320_000, signal: ctx.signal },
  );
  if (rolled.exitCode !== 0) throw failure('Kyverno did not roll out', rolled);
  stage('waiting for its pods to be Ready', 0.55);
  const pods = await ctx.kubectl(
    ['wait', '-n', 'kyverno', '--for=condition=Ready', 'pod', '--selector', '!job-name', '--timeout=180s'],
    { timeoutMs: 200_000, signal: ctx.signal },
  );
  if (pods.exitCode !== 0) throw failure('Kyverno pods are not Ready', pods);
  stage('waiting for a probe policy to be Ready', 0.7);
  const probe = await ctx.kubectl(['apply', '-f', '-'], {
    input: probeManifest(),
    timeoutMs: 60_000,
    signal: ctx.signal,
  });
  if (probe.exitCode !== 0) throw failure('the probe policy was refused', probe);
  const ready = await ctx.kubectl(['wait', '--for=condition=Ready', `clusterpolicy/${probePolicy}`, '--timeout=120s'], {
    timeoutMs: 140_000,
    signal: ctx.signal,
  });
  if (ready.exitCode !== 0) throw failure('the probe policy never became Ready', ready);
  stage('checking that a probe pod is denied', 0.85);
  let last: CommandResult | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (attempt) await ctx.sleep(3000);
    last = await ctx.kubectl(
      [
        'run',
        'probe',
        '-n',
        probeNamespace,
        '--image=registry.k8s.io/pause:3.10',
        '--labels=lab-readiness=deny',
        '--restart=Never',
        '--dry-run=server',
      ],
      { timeoutMs: 30_000, signal: ctx.signal },
    );
    if (last.exitCode !== 0 && last.stderr.includes(probePolicy)) break;
    last = { ...last, stderr: last.exitCode === 0 ? 'the probe pod was admitted' : last.stderr };
  }
  if (!last || last.exitCode === 0 || !last.stderr.includes(probePolicy))
    throw failure('Kyverno is running but does not enforce policies yet', last!);
  await ctx.kubectl(['delete', 'clusterpolicy', probePolicy, '--ignore-not-found'], { timeoutMs: 60_000 });
  await ctx.kubectl(['delete', 'namespace', probeNamespace, '--ignore-not-found', '--wait=false'], {
    timeoutMs: 60_000,
  });
  stage('ready', 1);
}
