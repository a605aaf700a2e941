import type { Check } from '../../src/contracts/lab.ts';
import type { CheckResult } from '../../src/contracts/protocol.ts';
import type { KubeClient, KubeEndpoint } from '../kube/client.ts';
import type { Locale } from '../../src/contracts/locales.ts';

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

export type CheckRunner<C extends Check = Check> = (
  check: C,
  ctx: GradingContext,
) => Promise<Omit<CheckResult, 'kind'>>;
