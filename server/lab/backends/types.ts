import type { BackendCapabilities, StageEvent } from '../../../src/contracts/protocol.ts';
import type { LabSummary } from '../../labs/catalog.ts';

export interface ProvisionRequest {
  sessionId: string;
  /** The session's folder: cluster state and the kubeconfig live here. */
  workspace: string;
  lab: LabSummary;
  onStage: (stage: Omit<StageEvent, 'at'>) => void;
  /** Reset or end cancels an in-flight provision through this. */
  signal?: AbortSignal;
  /** The server restarted: bring back the session's cluster rather than make a new one. */
  resuming?: boolean;
}

export interface ProvisionResult {
  kubeconfig: string;
  namespaceHints: string[];
  capabilities: BackendCapabilities;
  /** The cluster is new although the session was resuming (it was gone): lab setup must run again. */
  fresh?: boolean;
}

/** One way to get a Kubernetes cluster for a lab session. */
export interface ClusterBackend {
  readonly name: string;
  /** Whether this backend can run here, and if not, why and how to fix it. */
  preflight(): Promise<{ ok: true } | { ok: false; reason: string; missing?: string[] }>;
  provision(request: ProvisionRequest): Promise<ProvisionResult>;
  destroy(sessionId: string, workspace: string): Promise<void>;
  health(sessionId: string): Promise<boolean>;
  /** Stops in-process resources without deleting state (server shutdown). */
  suspend?(sessionId: string): Promise<void>;
}
