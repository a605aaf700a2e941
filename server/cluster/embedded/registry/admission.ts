import type { UserInfo } from '../authentication/user.ts';
import type { ResourceDef } from './types.ts';
import type { KubeObject } from '../storage/types.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** What an admission plugin sees (admission.Attributes). */
export interface AdmissionAttributes {
  operation: Operation;
  resource: ResourceDef;
  subresource: string;
  namespace: string;
  name: string;
  object?: KubeObject;
  oldObject?: KubeObject;
  user: UserInfo;
  dryRun: boolean;
  /** Warnings the plugin wants returned to the client (HTTP Warning headers). */
  warnings: string[];
  /** Work to do once the object is stored (never on dry-run or rejection), e.g. policy reports. */
  onCommit: Array<(stored: KubeObject) => void>;
}

/** Admission plugins throw a StatusError to deny; mutating plugins may change attributes.object. */
export interface AdmissionPlugin {
  name: string;
  mutate?(attributes: AdmissionAttributes): void | Promise<void>;
  validate?(attributes: AdmissionAttributes): void | Promise<void>;
}
