import type { Check } from '../../src/content-schema/lab.ts';
import type { KubeClient, KubeEndpoint } from '../kube/client.ts';
import type { Locale } from './messages.ts';

export interface GradingContext {
  /** Admin client of the session's cluster. */
  api: KubeClient;
  endpoint: KubeEndpoint;
  /** The learner's HOME in the session workspace. */
  home: string;
  /** The session folder (command log). */
  workspace: string;
  /** The lab folder (manifests referenced by checks). */
  labDir: string;
  locale: Locale;
  /** Environment for script checks: HOME, KUBECONFIG, PATH. */
  env: Record<string, string>;
  signal: AbortSignal;
}

export interface CheckOutcome {
  kind: Check['kind'];
  passed: boolean;
  /** Learner-facing explanation in the learner's locale. */
  message: string;
  /** For assert failures: expected vs actual, readable. */
  diff?: string;
}

export type CheckRunner<C extends Check = Check> = (
  check: C,
  ctx: GradingContext,
) => Promise<Omit<CheckOutcome, 'kind'>>;
