import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceAccountTokens } from '../authentication/service-account-tokens.ts';
import type { UserInfo } from '../authentication/user.ts';
import type { Authorizer } from '../authorization/authorizer.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import type { Registry } from '../registry/generic.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { PodNetwork } from '../runtime/pod-network.ts';
import type { Store } from '../storage/store.ts';
import type { Accept } from './codec.ts';
import type { OpenApiCache } from './openapi/documents.ts';
import type { RequestInfo } from './request-info.ts';
import type { VersionInfo } from '../api/version.ts';

export type { VersionInfo };

/** Everything of one cluster that request handlers use. */
export interface ClusterServices {
  catalog: ResourceCatalog;
  store: Store;
  registry: Registry;
  authorizer: Authorizer;
  tokens: ServiceAccountTokens;
  openapi: OpenApiCache;
  /** The simulated pod network: DNS, connections under NetworkPolicy, access logs. */
  network: PodNetwork;
  version: VersionInfo;
  serverAddress: string;
  /** Registers a long-running request so stopping the cluster ends it. */
  trackLongRunning: (stop: () => void) => () => void;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  info: RequestInfo;
  user: UserInfo;
  accept: Accept;
  warnings: string[];
  cluster: ClusterServices;
}

export interface ResourceContext extends RequestContext {
  def: ResourceDef;
  /** The namespace used for storage ("" for cluster-scoped resources). */
  namespace: string;
}
