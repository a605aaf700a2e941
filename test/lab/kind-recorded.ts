import type { CommandResult, CommandRunner, RunOptions } from '../../server/lab/backends/command-runner.ts';

/**
 * Recorded outputs of the real tools, with the exact texts of kind v0.33 (pkg/internal/cli/status.go,
 * pkg/cluster/internal/create/create.go, delete/delete.go, cmd/kind/get/clusters), Docker and kubectl.
 */
export const kind = {
  createSuccess: (name: string, kubeconfig: string) =>
    [
      `Creating cluster "${name}" ...`,
      ' • Ensuring node image (kindest/node:v1.34.11) 🖼️  ...',
      ' ✓ Ensuring node image (kindest/node:v1.34.11) 🖼️',
      ' • Preparing nodes 📦   ...',
      ' ✓ Preparing nodes 📦 ',
      ' • Writing configuration 📜  ...',
      ' ✓ Writing configuration 📜',
      ' • Starting control-plane 🕹️  ...',
      ' ✓ Starting control-plane 🕹️',
      ' • Installing CNI 🔌  ...',
      ' ✓ Installing CNI 🔌',
      ' • Installing StorageClass 💾  ...',
      ' ✓ Installing StorageClass 💾',
      ' • Waiting ≤ 1m0s for control-plane = Ready ⏳  ...',
      ' ✓ Waiting ≤ 1m0s for control-plane = Ready ⏳',
      ' • Ready after 15s 💚',
      `Set kubectl context to "kind-${name}"`,
      'You can now use your cluster with:',
      '',
      `kubectl cluster-info --context kind-${name} --kubeconfig ${kubeconfig}`,
      '',
      'Have a nice day! 👋',
    ].join('\n'),
  alreadyExists: (name: string) =>
    `ERROR: failed to create cluster: node(s) already exist for a cluster with the name "${name}"`,
  dockerDownList: [
    'ERROR: failed to list clusters: command "docker ps -a --filter label=io.x-k8s.kind.cluster --format \'{{.Label "io.x-k8s.kind.cluster"}}\'" failed with error: exit status 1',
    'Command Output: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
  ].join('\n'),
  noClusters: 'No kind clusters found.',
  deleted: (name: string) => `Deleting cluster "${name}" ...\nDeleted nodes: ["${name}-control-plane"]`,
  version: 'kind v0.33.0 go1.25.1 linux/amd64',
  kubeconfig: (name: string, port = 41_235) =>
    [
      'apiVersion: v1',
      'clusters:',
      '- cluster:',
      '    certificate-authority-data: LS0tLS1CRUdJTg==',
      `    server: https://127.0.0.1:${port}`,
      `  name: kind-${name}`,
      'contexts:',
      '- context:',
      `    cluster: kind-${name}`,
      `    user: kind-${name}`,
      `  name: kind-${name}`,
      `current-context: kind-${name}`,
      'kind: Config',
      'preferences: {}',
      'users:',
      `- name: kind-${name}`,
      '  user:',
      '    client-certificate-data: LS0tLS1CRUdJTg==',
      '    client-key-data: LS0tLS1CRUdJTg==',
      '',
    ].join('\n'),
};

export interface Call {
  line: string;
  command: string;
  args: string[];
  input?: string;
  env?: Record<string, string | undefined>;
}

type Answer =
  | Partial<CommandResult>
  | ((call: Call, options: RunOptions) => Partial<CommandResult> | Promise<Partial<CommandResult>>);

const ok: CommandResult = { exitCode: 0, stdout: '', stderr: '', timedOut: false, notFound: false };

/**
 * Replays recorded outputs by the start of the command line; the first matching entry wins,
 * and `once` entries are used up. Unscripted commands succeed with empty output (kubectl waits).
 */
export class RecordedRunner implements CommandRunner {
  readonly calls: Call[] = [];
  private readonly script: Array<{ prefix: string; answer: Answer; once?: boolean }> = [];

  on(prefix: string, answer: Answer, once = false): this {
    this.script.push({ prefix, answer, once });
    return this;
  }

  /** Like `on`, but ahead of the entries already scripted. */
  first(prefix: string, answer: Answer, once = false): this {
    this.script.unshift({ prefix, answer, once });
    return this;
  }

  lines(): string[] {
    return this.calls.map((c) => c.line);
  }

  async run(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
    const call: Call = { line: [command, ...args].join(' '), command, args, input: options.input, env: options.env };
    this.calls.push(call);
    const index = this.script.findIndex((e) => call.line.startsWith(e.prefix));
    if (index < 0) return ok;
    const entry = this.script[index]!;
    if (entry.once) this.script.splice(index, 1);
    const partial = typeof entry.answer === 'function' ? await entry.answer(call, options) : entry.answer;
    const result = { ...ok, ...partial };
    for (const l of result.stderr.split('\n')) options.onStderrLine?.(l);
    return result;
  }
}
