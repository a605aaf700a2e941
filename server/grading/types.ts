import type { KubeClient, KubeEndpoint } from '../kube/client.ts';
import type { Locale } from '../../src/contracts/locales.ts';

/** A command the learner ran in the session's terminal, as its shell logged it. */
export interface LoggedCommand {
  command: string;
  exit: number;
}

export interface GradingContext {
  /** Admin client of the session's cluster. */
  api: KubeClient;
  endpoint: KubeEndpoint;
  /** The learner's HOME in the session workspace. */
  home: string;
  /** The commands the learner ran, oldest first (the session's command log). */
  commands: () => Promise<LoggedCommand[]>;
  /** The lab folder (manifests referenced by checks). */
  labDir: string;
  locale: Locale;
  /** Environment for script checks: HOME, KUBECONFIG, PATH. */
  env: Record<string, string>;
  signal: AbortSignal;
  /**
   * How long checks of converging state retry when the check sets no timeoutSeconds
   * (default 5). `labs test` uses 0 on a fresh session, where nothing converges.
   */
  pollSeconds?: number;
}
