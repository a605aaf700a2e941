import type { UserInfo } from '../authentication/user.ts';
import type { FieldError } from '../api/status.ts';
import type { Store } from '../storage/store.ts';
import type { KubeObject } from '../storage/types.ts';
import type { NameRule } from './meta-validation.ts';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export const standardVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** One column of a server-side table (meta.k8s.io/v1 TableColumnDefinition). */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  priority: 0 | 1;
  /** Produces the cell for one object; `now` keeps ages consistent within one table. */
  cell: (object: KubeObject, now: number) => unknown;
}

export interface SubresourceDef {
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ValidationContext {
  /** The stored object on update, undefined on create. */
  old?: KubeObject;
}

/** What differs between resources: defaults, validation, table columns, status handling. */
export interface Strategy {
  /** Fills defaults the way the API server's defaulting functions do. */
  defaults?(object: KubeObject): void;
  /** PrepareForCreate: what the server sets from the request itself (e.g. a CSR's requestor). */
  prepareForCreate?(object: KubeObject, user: UserInfo): void;
  /** Field errors for this object; metadata is validated by the registry itself. */
  validate?(object: KubeObject, context: ValidationContext): FieldError[];
  /**
   * Allocates what a write takes from shared pools (a Service's ClusterIP and node ports), after
   * validation of a main-resource create or update; the store tells what is in use.
   */
  allocate?(object: KubeObject, store: Store, old?: KubeObject): FieldError[];
  /**
   * The object as this version shows it, when storage keeps another version's form (an
   * autoscaling/v1 HPA stored as v2). Applied to API responses only.
   */
  toVersion?(object: KubeObject): KubeObject;
  /** Server-side printer columns after NAME. */
  columns?: TableColumn[];
  /** Whether .status is a subresource (spec writes keep status; status writes keep spec). */
  hasStatus?: boolean;
  /** Bumps metadata.generation when these top-level fields change (default: spec). */
  generationFields?: string[];
  /** Fields an update may not change (immutable objects, e.g. selector). */
  onUpdate?(object: KubeObject, old: KubeObject): FieldError[];
  /**
   * PrepareForUpdate of a main or subresource write (not status): what the new object keeps
   * from the old one, e.g. pods/ephemeralcontainers changes only spec.ephemeralContainers.
   */
  prepareForUpdate?(object: KubeObject, old: KubeObject, subresource: string): KubeObject;
}

export interface ResourceDef extends GroupVersionKind {
  /** Plural resource name, e.g. "pods". */
  plural: string;
  singular: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** How metadata.name is validated (default: DNS-1123 subdomain). */
  nameRule?: NameRule;
  verbs: string[];
  subresources?: Record<string, SubresourceDef>;
  strategy: Strategy;
  /** Set for resources defined by a CustomResourceDefinition. */
  crd?: { name: string; schema?: Record<string, unknown>; uid: string; resourceVersion: string };
  /** The Warning every request to a deprecated resource gets (apiserver's deprecation filter). */
  deprecationWarning?: string;
  /** Create-only review resources (SelfSubjectAccessReview, ...) are never stored. */
  virtual?: boolean;
}

export function groupVersion(def: { group: string; version: string }): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** Store key for a resource: "pods", "deployments.apps". */
export function storageName(def: { group: string; plural: string }): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}
