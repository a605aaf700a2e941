import { appendFileSync } from 'node:fs';
import type { UserInfo } from '../authentication/user.ts';

/** An audit.k8s.io/v1 Event, reduced to what admission adds annotations to. */
export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: 'Metadata';
  auditID: string;
  stage: 'ResponseComplete';
  verb: string;
  user: UserInfo;
  objectRef: { resource: string; namespace?: string; name?: string; apiGroup?: string; apiVersion: string };
  annotations: Record<string, string>;
  requestReceivedTimestamp: string;
}

/**
 * Where the cluster writes audit events with admission annotations: kept in memory (the last
 * 1,000) and, when the cluster has a directory, appended as JSON lines to audit.log there,
 * the format of kube-apiserver's --audit-log-path.
 */
export class AuditLog {
  private readonly recent: AuditEvent[] = [];
  private readonly path: string | undefined;
  constructor(path?: string) {
    this.path = path;
  }

  record(
    event: Omit<AuditEvent, 'kind' | 'apiVersion' | 'level' | 'stage' | 'auditID' | 'requestReceivedTimestamp'>,
  ): void {
    const full: AuditEvent = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: crypto.randomUUID(),
      stage: 'ResponseComplete',
      requestReceivedTimestamp: new Date().toISOString(),
      ...event,
    };
    this.recent.push(full);
    if (this.recent.length > 1000) this.recent.shift();
    if (this.path) {
      try {
        appendFileSync(this.path, `${JSON.stringify(full)}\n`, { mode: 0o600 });
      } catch {
        /* a missing directory loses the file copy, never the request */
      }
    }
  }

  events(): readonly AuditEvent[] {
    return this.recent;
  }
}
