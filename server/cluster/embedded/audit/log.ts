import { closeSync, constants, openSync, writeSync } from 'node:fs';
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
        // O_NOFOLLOW: the session folder may be writable by the learner; never follow a planted link.
        const fd = openSync(
          this.path,
          constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
          0o600,
        );
        try {
          writeSync(fd, `${JSON.stringify(full)}\n`);
        } finally {
          closeSync(fd);
        }
      } catch {
        /* a missing directory loses the file copy, never the request */
      }
    }
  }

  events(): readonly AuditEvent[] {
    return this.recent;
  }
}
