import { createHash } from 'node:crypto';
import { StatusError } from '../api/status.ts';
import { sameContent } from '../api/objects.ts';
import { rfc3339 } from '../api/time.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { KubeObject } from '../storage/types.ts';
import { ownedBy, ownerRef, yieldToOthers, type Controller, type ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;
const alphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** pod-template-hash: a short stable hash of the template, in Kubernetes' safe alphabet. */
/** Empty, null and absent are the same Go zero value, whichever a client happened to send. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.values(value as Obj).every(isEmpty);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .filter((k) => !isEmpty((value as Obj)[k]))
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Obj)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** Key order does not change the hash, so a template restored by rollout undo finds its ReplicaSet. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256')
    .update(canonicalJson(template ?? {}))
    .digest();
  return [...digest.subarray(0, 10)].map((b) => alphabet[b % alphabet.length]).join('');
}

function isReady(pod: KubeObject): boolean {
  const conditions = ((pod.status as Obj | undefined)?.conditions as Obj[]) ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

function isActive(pod: KubeObject): boolean {
  const phase = (pod.status as Obj | undefined)?.phase;
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Pods a controller creates in one pass at most (the ReplicaSet controller's burstReplicas). */
const burstReplicas = 500;

/**
 * Creates and deletes pods so a controller owns exactly `want` active ones. Returns the
 * owned pods (stored objects: read only) and why a creation failed, if one did.
 */
async function reconcilePods(
  ctx: ControllerContext,
  owner: KubeObject,
  controllerName: string,
  want: number,
  template: Obj,
  name: (index: number) => { name?: string; generateName?: string },
): Promise<{ pods: readonly KubeObject[]; failure?: string }> {
  const podsDef = ctx.def('', 'pods');
  const namespace = owner.metadata.namespace ?? '';
  const owned = ctx.store.peek('pods', namespace).filter((p) => ownedBy(p, owner));
  const active = owned.filter(isActive);
  let failure: string | undefined;
  if (active.length < want) {
    for (let i = active.length; i < Math.min(want, active.length + burstReplicas); i++) {
      const meta = (template.metadata ?? {}) as Obj;
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...structuredClone(meta), ...name(i), namespace, ownerReferences: [ownerRef(owner)] },
        spec: structuredClone(template.spec ?? {}),
      } as KubeObject;
      await ctx.podCreationTurn();
      try {
        const created = await ctx.registry.create(podsDef, namespace, pod, {
          user: ctx.user(controllerName),
          dryRun: false,
          fieldManager: controllerName,
          warnings: [],
        });
        ctx.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, controllerName);
      } catch (error) {
        failure = error instanceof StatusError ? error.message : String(error);
        ctx.event(owner, 'Warning', 'FailedCreate', `Error creating: ${failure}`, controllerName);
        break;
      }
      await yieldToOthers();
    }
  } else if (active.length > want) {
    for (const pod of active.slice(want).reverse()) {
      ctx.store.delete('pods', namespace, pod.metadata.name ?? '');
      ctx.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, controllerName);
    }
  }
  return { pods: ctx.store.peek('pods', namespace).filter((p) => ownedBy(p, owner)), failure };
}

function writeStatus(ctx: ControllerContext, def: ResourceDef, object: KubeObject, status: Obj): void {
  if (!sameContent(object.status ?? {}, status)) ctx.registry.writeStatus(def, object, status);
}

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset-controller';
  // Namespaces too: relaxing a namespace's Pod Security labels lets refused pods be created.
  readonly watches = ['replicasets.apps', 'pods', 'namespaces'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  async sync(): Promise<void> {
    const def = this.ctx.def('apps', 'replicasets');
    for (const rs of this.ctx.store.peek('replicasets.apps')) {
      if (rs.metadata.deletionTimestamp) continue;
      const spec = (rs.spec ?? {}) as Obj;
      const { pods, failure } = await reconcilePods(
        this.ctx,
        rs,
        this.name,
        Number(spec.replicas ?? 1),
        (spec.template ?? {}) as Obj,
        () => ({ generateName: `${rs.metadata.name}-` }),
      );
      const active = pods.filter(isActive);
      const ready = active.filter(isReady).length;
      const status: Obj = {
        replicas: active.length,
        fullyLabeledReplicas: active.length,
        observedGeneration: rs.metadata.generation ?? 1,
      };
      if (ready) Object.assign(status, { readyReplicas: ready, availableReplicas: ready });
      const fresh = this.ctx.store.get('replicasets.apps', rs.metadata.namespace ?? '', rs.metadata.name ?? '');
      if (!fresh) continue;
      // Like the ReplicaSet controller: a refused pod creation shows as ReplicaFailure
      // (kept as it is while it stays true, so the status does not change on every retry).
      const previous = ((fresh.status as Obj | undefined)?.conditions as Obj[] | undefined)?.find(
        (c) => c.type === 'ReplicaFailure',
      );
      if (failure)
        status.conditions = [
          previous?.status === 'True'
            ? previous
            : {
                type: 'ReplicaFailure',
                status: 'True',
                lastTransitionTime: rfc3339(),
                reason: 'FailedCreate',
                message: failure,
              },
        ];
      else if (previous && active.length < Number(spec.replicas ?? 1)) status.conditions = [previous];
      writeStatus(this.ctx, def, fresh, status);
    }
  }
}

function deploymentConditions(
  existing: Obj[] | undefined,
  available: boolean,
  complete: boolean,
  rsName: string,
  time: string,
  paused = false,
): Obj[] {
  const keep = (type: string, status: string, reason: string, message: string): Obj => {
    const prev = (existing ?? []).find((c) => c.type === type);
    const changed = !prev || prev.status !== status || prev.reason !== reason;
    return {
      type,
      status,
      lastUpdateTime: changed ? time : prev.lastUpdateTime,
      lastTransitionTime: !prev || prev.status !== status ? time : prev.lastTransitionTime,
      reason,
      message,
    };
  };
  return [
    keep(
      'Available',
      available ? 'True' : 'False',
      available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
    ),
    paused
      ? keep('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused')
      : keep(
          'Progressing',
          'True',
          complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
          complete ? `ReplicaSet "${rsName}" has successfully progressed.` : `ReplicaSet "${rsName}" is progressing.`,
        ),
  ];
}

const revisionKey = 'deployment.kubernetes.io/revision';
const revisionHistoryKey = 'deployment.kubernetes.io/revision-history';
/** Annotations the deployment controller keeps off ReplicaSets (pkg/controller/deployment/util). */
const notCopied = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  revisionKey,
  revisionHistoryKey,
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

function revisionOf(rs: KubeObject): number {
  return Number(rs.metadata.annotations?.[revisionKey] ?? 0);
}

/** The Deployment's own annotations a new or current ReplicaSet carries (change-cause among them). */
function copiedAnnotations(d: KubeObject): Record<string, string> {
  return Object.fromEntries(Object.entries(d.metadata.annotations ?? {}).filter(([k]) => !notCopied.has(k)));
}

/**
 * The deployment controller: one ReplicaSet per pod template, revisions counted on them
 * (a template that comes back, as with rollout undo, reuses its ReplicaSet under a new
 * revision), change-cause and other annotations copied, nothing rolled out while paused,
 * and a ReplicaSet's ReplicaFailure surfaced on the Deployment.
 */
export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  readonly watches = ['deployments.apps', 'replicasets.apps'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  async sync(): Promise<void> {
    const deployDef = this.ctx.def('apps', 'deployments');
    const rsDef = this.ctx.def('apps', 'replicasets');
    for (const d of this.ctx.store.list('deployments.apps')) {
      if (d.metadata.deletionTimestamp) continue;
      const namespace = d.metadata.namespace ?? '';
      const spec = (d.spec ?? {}) as Obj;
      const replicas = Number(spec.replicas ?? 1);
      const paused = spec.paused === true;
      const template = (spec.template ?? {}) as Obj;
      const hash = templateHash(template);
      const owned = this.ctx.store.list('replicasets.apps', namespace).filter((rs) => ownedBy(rs, d));
      const maxRevision = Math.max(0, ...owned.map(revisionOf));
      let current = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
      const newest = [...owned].sort((a, b) => revisionOf(b) - revisionOf(a))[0];
      if (paused && current?.metadata.uid !== newest?.metadata.uid) current = newest;
      const annotations = copiedAnnotations(d);
      if (!current && !paused) {
        const templateMeta = structuredClone((template.metadata ?? {}) as Obj);
        const labels = { ...((templateMeta.labels as Record<string, string>) ?? {}), 'pod-template-hash': hash };
        const selector = structuredClone((spec.selector ?? {}) as Obj);
        selector.matchLabels = { ...((selector.matchLabels as Obj) ?? {}), 'pod-template-hash': hash };
        const rs = {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${d.metadata.name}-${hash}`,
            namespace,
            labels,
            annotations: {
              ...annotations,
              'deployment.kubernetes.io/desired-replicas': String(replicas),
              'deployment.kubernetes.io/max-replicas': String(replicas + 1),
              [revisionKey]: String(maxRevision + 1),
            },
            ownerReferences: [ownerRef(d)],
          },
          spec: { replicas, selector, template: { ...template, metadata: { ...templateMeta, labels } } },
        } as unknown as KubeObject;
        try {
          current = await this.ctx.registry.create(rsDef, namespace, rs, {
            user: this.ctx.user(this.name),
            dryRun: false,
            fieldManager: this.name,
            warnings: [],
          });
          this.ctx.event(
            d,
            'Normal',
            'ScalingReplicaSet',
            `Scaled up replica set ${current.metadata.name} from 0 to ${replicas}`,
            this.name,
          );
        } catch (error) {
          this.ctx.event(
            d,
            'Warning',
            'FailedCreate',
            error instanceof Error ? error.message : String(error),
            this.name,
          );
          continue;
        }
      } else if (current) {
        const from = Number((current.spec as Obj).replicas);
        const meta = { ...current.metadata, annotations: { ...(current.metadata.annotations ?? {}), ...annotations } };
        // An older template back in use becomes the newest revision; its past ones are remembered.
        if (!paused && revisionOf(current) < maxRevision) {
          const history = [current.metadata.annotations?.[revisionHistoryKey], String(revisionOf(current))]
            .filter(Boolean)
            .join(',');
          meta.annotations[revisionKey] = String(maxRevision + 1);
          meta.annotations[revisionHistoryKey] = history;
        }
        meta.annotations['deployment.kubernetes.io/desired-replicas'] = String(replicas);
        meta.annotations['deployment.kubernetes.io/max-replicas'] = String(replicas + 1);
        const next = { ...current, metadata: meta, spec: { ...(current.spec as Obj), replicas } };
        if (!sameContent(next, current)) current = this.ctx.registry.writeObject(rsDef, next);
        if (from !== replicas) {
          this.ctx.event(
            d,
            'Normal',
            'ScalingReplicaSet',
            `Scaled ${replicas > from ? 'up' : 'down'} replica set ${current.metadata.name} from ${from} to ${replicas}`,
            this.name,
          );
        }
      }
      if (!current) continue;
      // Old ReplicaSets go to zero (a rollout that completes at once: pods start instantly here).
      for (const old of owned) {
        if (old.metadata.uid === current.metadata.uid || Number((old.spec as Obj).replicas) === 0) continue;
        const from = Number((old.spec as Obj).replicas);
        this.ctx.registry.writeObject(rsDef, { ...old, spec: { ...(old.spec as Obj), replicas: 0 } });
        this.ctx.event(
          d,
          'Normal',
          'ScalingReplicaSet',
          `Scaled down replica set ${old.metadata.name} from ${from} to 0`,
          this.name,
        );
      }
      const allRs = this.ctx.store.list('replicasets.apps', namespace).filter((rs) => ownedBy(rs, d));
      const sum = (key: string, list = allRs) =>
        list.reduce((n, rs) => n + Number(((rs.status as Obj) ?? {})[key] ?? 0), 0);
      const fresh = this.ctx.store.get('replicasets.apps', namespace, current.metadata.name ?? '') ?? current;
      const updated = sum('replicas', [fresh]);
      const ready = sum('readyReplicas');
      const available = sum('availableReplicas');
      const total = sum('replicas');
      const status: Obj = { observedGeneration: d.metadata.generation ?? 1, replicas: total, updatedReplicas: updated };
      if (ready) status.readyReplicas = ready;
      if (available) status.availableReplicas = available;
      if (total - available > 0) status.unavailableReplicas = total - available;
      const complete = updated === replicas && available >= replicas && total === replicas;
      const previous = (d.status as Obj | undefined)?.conditions as Obj[] | undefined;
      const conditions = deploymentConditions(
        previous,
        available >= replicas,
        complete,
        current.metadata.name ?? '',
        rfc3339(),
        paused,
      );
      const failure = allRs
        .flatMap((rs) => ((rs.status as Obj | undefined)?.conditions as Obj[] | undefined) ?? [])
        .find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
      if (failure) {
        const kept = previous?.find((c) => c.type === 'ReplicaFailure' && c.message === failure.message);
        const time = rfc3339();
        conditions.push({
          type: 'ReplicaFailure',
          status: 'True',
          lastUpdateTime: kept?.lastUpdateTime ?? time,
          lastTransitionTime: kept?.lastTransitionTime ?? time,
          reason: 'FailedCreate',
          message: failure.message,
        });
      }
      status.conditions = conditions;
      let latest = this.ctx.store.get('deployments.apps', namespace, d.metadata.name ?? '');
      if (!latest) continue;
      // The Deployment carries the revision of its newest ReplicaSet (kubectl rollout reads it).
      const revision = String(
        revisionOf(this.ctx.store.get('replicasets.apps', namespace, current.metadata.name ?? '') ?? current),
      );
      if (latest.metadata.annotations?.[revisionKey] !== revision) {
        latest = this.ctx.registry.writeObject(deployDef, {
          ...latest,
          metadata: {
            ...latest.metadata,
            annotations: { ...(latest.metadata.annotations ?? {}), [revisionKey]: revision },
          },
        });
      }
      writeStatus(this.ctx, deployDef, latest, status);
    }
  }
}

export class JobController implements Controller {
  readonly name = 'job-controller';
  readonly watches = ['jobs.batch', 'pods'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  async sync(): Promise<void> {
    const def = this.ctx.def('batch', 'jobs');
    for (const job of this.ctx.store.list('jobs.batch')) {
      if (job.metadata.deletionTimestamp) continue;
      const spec = (job.spec ?? {}) as Obj;
      const previous = (job.status ?? {}) as Obj;
      if (((previous.conditions as Obj[]) ?? []).some((c) => c.type === 'Complete')) continue;
      const completions = Number(spec.completions ?? 1);
      const namespace = job.metadata.namespace ?? '';
      const owned = this.ctx.store.list('pods', namespace).filter((p) => ownedBy(p, job));
      const succeeded = owned.filter((p) => (p.status as Obj | undefined)?.phase === 'Succeeded').length;
      const remaining = Math.max(0, completions - succeeded);
      const want = spec.suspend === true ? 0 : Math.min(Number(spec.parallelism ?? 1), remaining);
      const { pods } = await reconcilePods(this.ctx, job, this.name, want, (spec.template ?? {}) as Obj, () => ({
        generateName: `${job.metadata.name}-`,
      }));
      const active = pods.filter(isActive).length;
      const time = rfc3339();
      const status: Obj = { ...previous, startTime: previous.startTime ?? time };
      if (active) status.active = active;
      else delete status.active;
      if (succeeded) status.succeeded = succeeded;
      status.ready = pods.filter((p) => isActive(p) && isReady(p)).length;
      status.terminating = 0;
      status.uncountedTerminatedPods = {};
      if (succeeded >= completions) {
        status.completionTime = time;
        status.conditions = [
          {
            type: 'SuccessCriteriaMet',
            status: 'True',
            lastProbeTime: time,
            lastTransitionTime: time,
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
          },
          {
            type: 'Complete',
            status: 'True',
            lastProbeTime: time,
            lastTransitionTime: time,
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
          },
        ];
        this.ctx.event(job, 'Normal', 'Completed', 'Job completed', this.name);
      }
      const fresh = this.ctx.store.get('jobs.batch', namespace, job.metadata.name ?? '');
      if (fresh) writeStatus(this.ctx, def, fresh, status);
    }
  }
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset-controller';
  readonly watches = ['daemonsets.apps', 'pods'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  async sync(): Promise<void> {
    const def = this.ctx.def('apps', 'daemonsets');
    for (const ds of this.ctx.store.list('daemonsets.apps')) {
      if (ds.metadata.deletionTimestamp) continue;
      const spec = (ds.spec ?? {}) as Obj;
      const { pods } = await reconcilePods(this.ctx, ds, this.name, 1, (spec.template ?? {}) as Obj, () => ({
        generateName: `${ds.metadata.name}-`,
      }));
      const ready = pods.filter((p) => isActive(p) && isReady(p)).length;
      const status: Obj = {
        currentNumberScheduled: 1,
        numberMisscheduled: 0,
        desiredNumberScheduled: 1,
        numberReady: ready,
        observedGeneration: ds.metadata.generation ?? 1,
        updatedNumberScheduled: 1,
      };
      if (ready) status.numberAvailable = ready;
      else status.numberUnavailable = 1;
      const fresh = this.ctx.store.get('daemonsets.apps', ds.metadata.namespace ?? '', ds.metadata.name ?? '');
      if (fresh) writeStatus(this.ctx, def, fresh, status);
    }
  }
}

export class StatefulSetController implements Controller {
  readonly name = 'statefulset-controller';
  readonly watches = ['statefulsets.apps', 'pods'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  async sync(): Promise<void> {
    const def = this.ctx.def('apps', 'statefulsets');
    for (const sts of this.ctx.store.list('statefulsets.apps')) {
      if (sts.metadata.deletionTimestamp) continue;
      const spec = (sts.spec ?? {}) as Obj;
      const replicas = Number(spec.replicas ?? 1);
      const namespace = sts.metadata.namespace ?? '';
      const owned = this.ctx.store.list('pods', namespace).filter((p) => ownedBy(p, sts));
      const template = (spec.template ?? {}) as Obj;
      for (let i = 0; i < replicas; i++) {
        const name = `${sts.metadata.name}-${i}`;
        if (owned.some((p) => p.metadata.name === name)) continue;
        const labels = {
          ...(((template.metadata as Obj)?.labels as Obj) ?? {}),
          'statefulset.kubernetes.io/pod-name': name,
          'apps.kubernetes.io/pod-index': String(i),
        };
        await reconcilePods(
          this.ctx,
          sts,
          this.name,
          owned.filter(isActive).length + 1,
          { ...template, metadata: { ...((template.metadata as Obj) ?? {}), labels } },
          () => ({ name }),
        );
        break; // OrderedReady: one pod at a time
      }
      for (const pod of owned) {
        const index = Number(pod.metadata.name?.slice((sts.metadata.name ?? '').length + 1));
        if (index >= replicas) this.ctx.store.delete('pods', namespace, pod.metadata.name ?? '');
      }
      const pods = this.ctx.store.list('pods', namespace).filter((p) => ownedBy(p, sts) && isActive(p));
      const ready = pods.filter(isReady).length;
      const status: Obj = {
        observedGeneration: sts.metadata.generation ?? 1,
        replicas: pods.length,
        currentReplicas: pods.length,
        updatedReplicas: pods.length,
        collisionCount: 0,
        availableReplicas: ready,
      };
      if (ready) status.readyReplicas = ready;
      const fresh = this.ctx.store.get('statefulsets.apps', namespace, sts.metadata.name ?? '');
      if (fresh) writeStatus(this.ctx, def, fresh, status);
    }
  }
}
