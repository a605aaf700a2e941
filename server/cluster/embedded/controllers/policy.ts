import { randomUUID } from 'node:crypto';
import { sameContent } from '../api/objects.ts';
import { listObject, resourceList } from '../api/resource-lists.ts';
import { rfc3339 } from '../api/time.ts';
import { namespaceUsage } from '../admission/resourcequota/usage.ts';
import { selectorMatches } from '../storage/selectors.ts';
import type { KubeObject } from '../storage/types.ts';
import type { Controller, ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;

/** The resource quota controller: status.hard mirrors spec.hard, status.used is recounted. */
export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota-controller';
  readonly watches = ['resourcequotas', 'pods', 'services', 'secrets', 'configmaps', 'persistentvolumeclaims', '*'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    const def = this.ctx.def('', 'resourcequotas');
    for (const quota of this.ctx.store.list('resourcequotas')) {
      const hard = (quota.spec as Obj | undefined)?.hard as Obj | undefined;
      const names = Object.keys(hard ?? {});
      const used = namespaceUsage(this.ctx.store, quota.metadata.namespace ?? '', names);
      const status = { hard: listObject(resourceList(hard)), used: listObject(used) };
      if (!sameContent(quota.status, status)) this.ctx.registry.writeStatus(def, quota, status);
    }
  }
}

function ready(pod: KubeObject): boolean {
  const conditions = ((pod.status as Obj | undefined)?.conditions as Obj[] | undefined) ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** An int-or-percent against a total, rounded up as the disruption controller does. */
function scaled(value: unknown, total: number): number {
  if (typeof value === 'string' && value.endsWith('%')) return Math.ceil((Number(value.slice(0, -1)) * total) / 100);
  return Number(value);
}

/** The disruption controller: how many of a PDB's pods may be evicted right now. */
export class DisruptionController implements Controller {
  readonly name = 'disruption-controller';
  readonly watches = ['poddisruptionbudgets.policy', 'pods'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    const def = this.ctx.def('policy', 'poddisruptionbudgets');
    for (const pdb of this.ctx.store.list('poddisruptionbudgets.policy')) {
      const spec = (pdb.spec ?? {}) as Obj;
      const pods = this.ctx.store
        .list('pods', pdb.metadata.namespace)
        .filter((p) => !p.metadata.deletionTimestamp)
        .filter((p) => selectorMatches((spec.selector ?? {}) as Obj, p.metadata.labels ?? {}));
      const expected = pods.length;
      const healthy = pods.filter(ready).length;
      const desired =
        spec.maxUnavailable !== undefined
          ? Math.max(0, expected - scaled(spec.maxUnavailable, expected))
          : spec.minAvailable !== undefined
            ? scaled(spec.minAvailable, expected)
            : expected;
      const allowed = Math.max(0, healthy - desired);
      const old = (pdb.status ?? {}) as Obj;
      const previous = ((old.conditions as Obj[] | undefined) ?? [])[0];
      const reason = allowed > 0 ? 'SufficientPods' : 'InsufficientPods';
      const condition = {
        type: 'DisruptionAllowed',
        status: allowed > 0 ? 'True' : 'False',
        reason,
        message: '',
        observedGeneration: pdb.metadata.generation ?? 1,
        lastTransitionTime: previous?.reason === reason ? previous.lastTransitionTime : rfc3339(),
      };
      const status = {
        observedGeneration: pdb.metadata.generation ?? 1,
        disruptionsAllowed: allowed,
        currentHealthy: healthy,
        desiredHealthy: desired,
        expectedPods: expected,
        conditions: [condition],
      };
      if (!sameContent({ ...old, disruptedPods: undefined }, status)) this.ctx.registry.writeStatus(def, pdb, status);
    }
  }
}

function storageRequest(pvc: KubeObject): string {
  const requests = ((pvc.spec as Obj | undefined)?.resources as Obj | undefined)?.requests as Obj | undefined;
  return String(requests?.storage ?? '');
}

/**
 * The PersistentVolume binder and a simulated provisioner: claims bind to a matching
 * Available volume, or get one provisioned (pvc-<uid>) by their StorageClass — at once, or
 * when a pod first uses them for WaitForFirstConsumer classes. Released volumes are deleted
 * or kept by their reclaim policy. No data is stored: pods do not run here.
 */
export class VolumeController implements Controller {
  readonly name = 'persistentvolume-binder';
  readonly watches = ['persistentvolumeclaims', 'persistentvolumes', 'pods', 'storageclasses.storage.k8s.io'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  sync(): void {
    const pvDef = this.ctx.def('', 'persistentvolumes');
    const pvcDef = this.ctx.def('', 'persistentvolumeclaims');
    const classes = this.ctx.store.list('storageclasses.storage.k8s.io');
    const claims = this.ctx.store.list('persistentvolumeclaims');
    for (const pvc of claims) {
      if ((pvc.status as Obj | undefined)?.phase === 'Bound' || pvc.metadata.deletionTimestamp) continue;
      const spec = (pvc.spec ?? {}) as Obj;
      const className = String(spec.storageClassName ?? '');
      const volumes = this.ctx.store.list('persistentvolumes');
      const wanted = resourceList({ storage: storageRequest(pvc) }).get('storage');
      const modes = (spec.accessModes as string[] | undefined) ?? [];
      let pv = volumes.find((v) => v.metadata.name === spec.volumeName);
      pv ??= volumes
        .filter((v) => (v.status as Obj | undefined)?.phase === 'Available' && !(v.spec as Obj).claimRef)
        .filter((v) => String((v.spec as Obj).storageClassName ?? '') === className)
        .filter((v) => modes.every((m) => ((v.spec as Obj).accessModes as string[] | undefined)?.includes(m)))
        .filter((v) => {
          const size = resourceList((v.spec as Obj).capacity).get('storage');
          return !wanted || (size !== undefined && size.nanos >= wanted.nanos);
        })
        .sort((a, b) => {
          const sa = resourceList((a.spec as Obj).capacity).get('storage')!.nanos;
          const sb = resourceList((b.spec as Obj).capacity).get('storage')!.nanos;
          return sa < sb ? -1 : sa > sb ? 1 : 0;
        })[0];
      const storageClass = classes.find((c) => c.metadata.name === className);
      if (!pv && storageClass) {
        const waits = storageClass.volumeBindingMode === 'WaitForFirstConsumer';
        const consumer = this.ctx.store
          .list('pods', pvc.metadata.namespace)
          .find((p) =>
            (((p.spec as Obj).volumes as Obj[] | undefined) ?? []).some(
              (v) => (v.persistentVolumeClaim as Obj | undefined)?.claimName === pvc.metadata.name,
            ),
          );
        if (waits && !consumer) continue;
        pv = this.provision(pvc, storageClass, consumer);
        this.ctx.registry.writeObject(pvDef, pv);
      }
      if (!pv) continue;
      this.bind(pvDef, pvcDef, pvc, pv, storageClass);
    }
    // Volumes whose claim is gone are released: deleted (Delete) or kept as Released (Retain).
    for (const pv of this.ctx.store.list('persistentvolumes')) {
      const ref = (pv.spec as Obj).claimRef as Obj | undefined;
      if (!ref || (pv.status as Obj | undefined)?.phase !== 'Bound') continue;
      const claim = this.ctx.store.get('persistentvolumeclaims', String(ref.namespace), String(ref.name));
      if (claim && claim.metadata.uid === ref.uid) continue;
      if ((pv.spec as Obj).persistentVolumeReclaimPolicy === 'Delete')
        this.ctx.store.delete('persistentvolumes', '', pv.metadata.name ?? '');
      else this.ctx.registry.writeStatus(pvDef, pv, { phase: 'Released', lastPhaseTransitionTime: rfc3339() });
    }
    for (const pv of this.ctx.store.list('persistentvolumes')) {
      if (!(pv.status as Obj | undefined)?.phase || (pv.status as Obj).phase === 'Pending')
        this.ctx.registry.writeStatus(pvDef, pv, { phase: 'Available', lastPhaseTransitionTime: rfc3339() });
    }
  }

  private provision(pvc: KubeObject, storageClass: KubeObject, consumer?: KubeObject): KubeObject {
    const name = `pvc-${pvc.metadata.uid}`;
    const namespace = pvc.metadata.namespace ?? '';
    const node = String((consumer?.spec as Obj | undefined)?.nodeName ?? this.ctx.nodeName);
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name,
        uid: randomUUID(),
        creationTimestamp: rfc3339(),
        annotations: { 'pv.kubernetes.io/provisioned-by': String(storageClass.provisioner) },
      },
      spec: {
        accessModes: (pvc.spec as Obj).accessModes,
        capacity: { storage: storageRequest(pvc) },
        hostPath: {
          path: `/var/local-path-provisioner/${name}_${namespace}_${pvc.metadata.name}`,
          type: 'DirectoryOrCreate',
        },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
            ],
          },
        },
        persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? 'Delete',
        storageClassName: storageClass.metadata.name,
        volumeMode: (pvc.spec as Obj).volumeMode ?? 'Filesystem',
      },
      status: { phase: 'Pending' },
    };
  }

  private bind(
    pvDef: ReturnType<ControllerContext['def']>,
    pvcDef: ReturnType<ControllerContext['def']>,
    pvc: KubeObject,
    pv: KubeObject,
    storageClass?: KubeObject,
  ): void {
    const now = rfc3339();
    const claimRef = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      name: pvc.metadata.name,
      namespace: pvc.metadata.namespace,
      uid: pvc.metadata.uid,
      resourceVersion: pvc.metadata.resourceVersion,
    };
    const boundPv = this.ctx.store.get('persistentvolumes', '', pv.metadata.name ?? '') ?? pv;
    this.ctx.registry.writeObject(pvDef, {
      ...boundPv,
      spec: { ...(boundPv.spec as Obj), claimRef },
      status: { phase: 'Bound', lastPhaseTransitionTime: now },
    });
    const annotations: Record<string, string> = {
      ...(pvc.metadata.annotations ?? {}),
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
    };
    if (storageClass && pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by']) {
      annotations['volume.beta.kubernetes.io/storage-provisioner'] = String(storageClass.provisioner);
      annotations['volume.kubernetes.io/storage-provisioner'] = String(storageClass.provisioner);
    }
    const pvSpec = boundPv.spec as Obj;
    this.ctx.registry.writeObject(pvcDef, {
      ...pvc,
      metadata: { ...pvc.metadata, annotations },
      spec: { ...(pvc.spec as Obj), volumeName: pv.metadata.name },
      status: { phase: 'Bound', accessModes: pvSpec.accessModes, capacity: pvSpec.capacity },
    });
  }
}
