import { execa } from 'execa';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The command could not start at all (not installed). */
  notFound: boolean;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called for each stderr line as it arrives (kind's progress lines). */
  onStderrLine?: (line: string) => void;
}

/** Runs an external command; injectable so the kind wrapper can be tested with recorded output. */
export interface CommandRunner {
  run(command: string, args: string[], options?: RunOptions): Promise<CommandResult>;
}

/** The real runner (execa): no shell, the environment given replaces the parent's. */
export const execaRunner: CommandRunner = {
  async run(command, args, options = {}) {
    const child = execa(command, args, {
      input: options.input,
      env: options.env,
      extendEnv: false,
      timeout: options.timeoutMs,
      cancelSignal: options.signal,
      reject: false,
      forceKillAfterDelay: 5000,
    });
    if (options.onStderrLine && child.stderr) {
      let buffer = '';
      child.stderr.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) options.onStderrLine!(line);
      });
    }
    const result = await child;
    const notFound = (result as { code?: string }).code === 'ENOENT';
    return {
      exitCode: result.exitCode ?? (notFound ? 127 : 1),
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      timedOut: Boolean(result.timedOut),
      notFound,
    };
  },
};
