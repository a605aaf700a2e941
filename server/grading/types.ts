import type { KubeClient, KubeEndpoint } from '../kube/client.ts';
import type { Locale } from '../../src/contracts/locales.ts';

/** A command the learner ran in the session's terminal, as its shell logged it. */
export interface LoggedCommand {
  command: string;
  exit: number;
}

/** A file of the learner's HOME as the learner can read it, or why it may not be graded. */
export type LearnerFile =
  { ok: true; data: Buffer } | { ok: false; reason: 'missing' | 'outside-home' | 'not-a-file' | 'too-large' };

/** A program run in the learner's sandbox: exit code and output (capped). */
export interface LearnerRun {
  exitCode: number;
  timedOut: boolean;
  stdout: Buffer;
  /** stdout and stderr interleaved. */
  all: string;
}

/**
 * What graders may do on the learner's side of a session, all with the learner's rights (the
 * lab server implements it with its sandbox): read a file of HOME, run a script, read the log.
 */
export interface LearnerAccess {
  home: string;
  readFile(path: string, maxBytes: number): Promise<LearnerFile>;
  /** Runs argv in the learner's sandbox with a kubeconfig the learner cannot change. */
  run(argv: string[], options: { timeoutMs: number; signal?: AbortSignal }): Promise<LearnerRun>;
  commands(): Promise<LoggedCommand[]>;
}

export interface GradingContext {
  /** Admin client of the session's cluster. */
  api: KubeClient;
  endpoint: KubeEndpoint;
  /** The learner's HOME in the session workspace. */
  home: string;
  /** Files and scripts on the learner's side, with the learner's rights (never the server's). */
  learner: LearnerAccess;
  /** The commands the learner ran, oldest first (the session's command log). */
  commands: () => Promise<LoggedCommand[]>;
  /** The lab folder (manifests referenced by checks). */
  labDir: string;
  locale: Locale;
  signal: AbortSignal;
  /** The session's backend ("embedded", "kind"); checks that send real traffic need to know. */
  backend?: string;
  /**
   * How long checks of converging state retry when the check sets no timeoutSeconds
   * (default 5). `labs test` uses 0 on a fresh session, where nothing converges.
   */
  pollSeconds?: number;
}
