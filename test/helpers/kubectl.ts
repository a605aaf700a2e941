import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EmbeddedCluster, type ClusterOptions, type Persona } from '../../server/cluster/embedded/cluster.ts';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The real kubectl binaries to test with: the versioned kubectl.1.NN binaries beside
 * the dispatcher's real target when present, else `kubectl` on PATH.
 */
export function kubectlBinaries(versions = ['1.31', '1.32', '1.33']): Array<{ version: string; path: string }> {
  const onPath = which('kubectl');
  if (!onPath) return [];
  const dir = dirname(realpathSync(onPath));
  const found = versions
    .map((v) => ({ version: v, path: join(dir, `kubectl.${v}`) }))
    .filter((b) => existsSync(b.path));
  return found.length ? found : [{ version: 'path', path: onPath }];
}

/** An embedded cluster plus a private HOME and kubeconfig for running kubectl against it. */
export class KubectlHarness {
  cluster!: EmbeddedCluster;
  home = '';
  kubeconfig = '';
  readonly binary: string;
  private readonly options: ClusterOptions;

  private readonly personas: Persona[];

  constructor(binary: string, options: ClusterOptions = {}, personas: Persona[] = []) {
    this.binary = binary;
    this.options = options;
    this.personas = personas;
  }

  async start(): Promise<this> {
    this.home = await mkdtemp(join(tmpdir(), 'kubectl-home-'));
    this.cluster = await new EmbeddedCluster({ dir: join(this.home, 'cluster'), ...this.options }).start();
    this.kubeconfig = join(this.home, 'kubeconfig');
    await writeFile(this.kubeconfig, await this.cluster.kubeconfigWithPersonas(this.personas));
    return this;
  }

  async stop(): Promise<void> {
    await this.cluster?.stop();
    if (this.home) await rm(this.home, { recursive: true, force: true });
  }

  /** Runs kubectl; resolves with its exit code and output (never rejects on a non-zero exit). */
  run(
    args: string[],
    options: { stdin?: string; kubeconfig?: string; timeoutMs?: number } = {},
  ): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(
        this.binary,
        args,
        {
          env: { PATH: process.env.PATH, HOME: this.home, KUBECONFIG: options.kubeconfig ?? this.kubeconfig },
          cwd: this.home,
          timeout: options.timeoutMs ?? 30_000,
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    });
  }

  /** Writes a manifest into the harness HOME and returns its path. */
  async file(name: string, text: string): Promise<string> {
    const path = join(this.home, name);
    await writeFile(path, text);
    return path;
  }
}
