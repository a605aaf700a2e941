import { errors, StatusError } from '../api/status.ts';

/**
 * How much one embedded cluster may hold, so one learner's cluster cannot slow the
 * server for everyone: etcd's request size limit per object, and totals per cluster.
 */
export interface ClusterQuota {
  /** Largest stored object (etcd's --max-request-bytes default, 1.5 MiB). */
  maxObjectBytes: number;
  /** Objects of every kind together (Events excepted: they expire, see maxEvents). */
  maxObjects: number;
  /** Bytes of every stored object together (as JSON). */
  maxBytes: number;
  /** Pods at once. */
  maxPods: number;
  /** spec.replicas of one Deployment, ReplicaSet, StatefulSet or ReplicationController. */
  maxReplicas: number;
}

const MiB = 1024 * 1024;

export const defaultClusterQuota: ClusterQuota = {
  maxObjectBytes: 1.5 * MiB,
  maxObjects: 5000,
  maxBytes: 64 * MiB,
  maxPods: 1000,
  maxReplicas: 5000,
};

/** Events kept per cluster; the oldest go first, as kube-apiserver's event TTL would remove them. */
export const maxEvents = 1000;

/** The name quota errors give, so learners see where the limit comes from. */
export const quotaName = 'embedded-lab-limits';

/** A ResourceQuota-style Forbidden (`kubectl` prints "… is forbidden: exceeded quota: …"). */
export function quotaExceeded(
  resource: { group: string; resource: string },
  name: string,
  item: string,
  requested: number,
  used: number,
  limited: number,
): StatusError {
  return errors.forbidden(
    resource,
    name,
    `exceeded quota: ${quotaName}, requested: ${item}=${requested}, used: ${item}=${used}, limited: ${item}=${limited}`,
  );
}

/** etcd refuses values over its request limit; kube-apiserver answers 413 with etcd's words. */
export function objectTooLarge(): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'etcdserver: request is too large',
    reason: 'RequestEntityTooLarge',
    code: 413,
  });
}
