import { noRuntimeNote } from '../api/no-runtime.ts';
import { rfc3339 } from '../api/time.ts';
import type { KubeObject } from '../storage/types.ts';
import { containerID, imageID } from './container-ids.ts';
import { yieldToOthers, type Controller, type ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;

function qosClass(spec: Obj): string {
  const containers = [...((spec.containers as Obj[]) ?? []), ...((spec.initContainers as Obj[]) ?? [])];
  let anySet = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const resources = (c.resources ?? {}) as { requests?: Obj; limits?: Obj };
    const requests = resources.requests ?? {};
    const limits = resources.limits ?? {};
    if (Object.keys(requests).length || Object.keys(limits).length) anySet = true;
    for (const r of ['cpu', 'memory']) {
      if (limits[r] === undefined || (requests[r] !== undefined && requests[r] !== limits[r])) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function condition(type: string, status: string, time: string): Obj {
  return { type, status, lastProbeTime: null, lastTransitionTime: time };
}

/**
 * Plays scheduler and kubelet for simulated pods: binds them to the one node, then
 * reports them Running and Ready (batch pods of Jobs complete). No container runs;
 * events and logs say so.
 */
export class PodLifecycleController implements Controller {
  readonly name = 'pod-lifecycle';
  readonly watches = ['pods'];
  private readonly ctx: ControllerContext;
  private readonly startDelayMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Where the next pod IP search starts, so a deleted pod's address is not reused at once. */
  private nextIp = 2;
  private usedIps?: { set: Set<string>; at: number };

  constructor(ctx: ControllerContext, startDelayMs = 30) {
    this.ctx = ctx;
    this.startDelayMs = startDelayMs;
  }

  private readonly due: Array<() => void> = [];
  private draining = false;

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.due.length = 0;
  }

  /** Runs fn after ms; a thousand pods due at once are worked through in slices, not in one go. */
  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.due.push(fn);
      void this.drain();
    }, ms);
    this.timers.add(timer);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let fn = this.due.shift(); fn; fn = this.due.shift()) {
        fn();
        await yieldToOthers();
      }
    } finally {
      this.draining = false;
    }
  }

  async sync(): Promise<void> {
    const pods = this.ctx.def('', 'pods');
    // Stored objects (read only): most pods need nothing, so only the ones changed are copied.
    for (const pod of this.ctx.store.peek('pods')) {
      if (pod.metadata.deletionTimestamp) continue;
      const spec = { ...((pod.spec ?? {}) as Obj) };
      const status = (pod.status ?? {}) as Obj;
      if (!spec.nodeName) {
        spec.nodeName = this.ctx.nodeName;
        const time = rfc3339();
        const bound = this.ctx.registry.writeObject(pods, {
          ...structuredClone(pod),
          spec: structuredClone(spec),
          status: { phase: 'Pending', conditions: [condition('PodScheduled', 'True', time)], qosClass: qosClass(spec) },
        });
        this.ctx.event(
          bound,
          'Normal',
          'Scheduled',
          `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${this.ctx.nodeName}`,
          'default-scheduler',
        );
        this.later(() => this.start(bound), this.startDelayMs);
        await yieldToOthers();
        continue;
      }
      if (!status.phase) {
        this.later(() => this.start(pod), this.startDelayMs);
      }
    }
  }

  /** The next address of the node's pod CIDR (10.244.0.0/24) that no live pod holds. */
  private freePodIp(): string {
    // Scanning every pod for every pod started is quadratic (1000 replicas): the set of
    // addresses in use is rebuilt at most every 200 ms, and what this controller hands out is added.
    const now = performance.now();
    if (!this.usedIps || now - this.usedIps.at > 200) {
      const set = new Set<string>();
      for (const p of this.ctx.store.peek('pods')) {
        const ip = (p.status as Obj | undefined)?.podIP;
        const phase = (p.status as Obj | undefined)?.phase;
        if (typeof ip === 'string' && phase !== 'Succeeded' && phase !== 'Failed') set.add(ip);
      }
      this.usedIps = { set, at: now };
    }
    const used = this.usedIps.set;
    for (let i = 0; i < 253; i++) {
      const candidate = `10.244.0.${((this.nextIp - 2 + i) % 253) + 2}`;
      if (!used.has(candidate)) {
        this.nextIp = ((this.nextIp - 2 + i + 1) % 253) + 2;
        used.add(candidate);
        return candidate;
      }
    }
    return `10.244.0.${this.nextIp}`;
  }

  private start(snapshot: KubeObject): void {
    const pods = this.ctx.def('', 'pods');
    const pod = this.ctx.store.get('pods', snapshot.metadata.namespace ?? '', snapshot.metadata.name ?? '');
    if (!pod || pod.metadata.uid !== snapshot.metadata.uid || pod.metadata.deletionTimestamp) return;
    const status = (pod.status ?? {}) as Obj;
    if (status.phase && status.phase !== 'Pending') return;
    const spec = (pod.spec ?? {}) as Obj;
    const time = rfc3339();
    const containers = (spec.containers as Obj[]) ?? [];
    for (const c of containers) {
      this.ctx.event(pod, 'Normal', 'Pulled', `Container image "${c.image}" not pulled: ${noRuntimeNote}`, 'kubelet');
      this.ctx.event(pod, 'Normal', 'Created', `Created container: ${c.name} (simulated)`, 'kubelet');
      this.ctx.event(pod, 'Normal', 'Started', `Started container ${c.name} (simulated)`, 'kubelet');
    }
    const ip = this.freePodIp();
    const running: Obj = {
      phase: 'Running',
      conditions: [
        condition('PodReadyToStartContainers', 'True', time),
        condition('Initialized', 'True', time),
        condition('Ready', 'True', time),
        condition('ContainersReady', 'True', time),
        condition('PodScheduled', 'True', time),
      ],
      hostIP: '172.18.0.2',
      hostIPs: [{ ip: '172.18.0.2' }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: time,
      qosClass: qosClass(spec),
      containerStatuses: containers.map((c) => ({
        name: c.name,
        state: { running: { startedAt: time } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: c.image,
        imageID: imageID(String(c.image ?? '')),
        containerID: containerID(String(pod.metadata.uid), String(c.name)),
        started: true,
      })),
    };
    const updated = this.ctx.registry.writeStatus(pods, pod, running);
    const ownedByJob = (pod.metadata.ownerReferences ?? []).some((r) => r.kind === 'Job');
    if (updated && ownedByJob && spec.restartPolicy !== 'Always')
      this.later(() => this.complete(updated), this.startDelayMs * 5);
  }

  /** Job pods "finish" successfully, so Jobs and CronJobs complete in the simulation. */
  private complete(snapshot: KubeObject): void {
    const pods = this.ctx.def('', 'pods');
    const pod = this.ctx.store.get('pods', snapshot.metadata.namespace ?? '', snapshot.metadata.name ?? '');
    if (!pod || pod.metadata.uid !== snapshot.metadata.uid) return;
    const status = structuredClone((pod.status ?? {}) as Obj);
    const time = rfc3339();
    status.phase = 'Succeeded';
    status.conditions = ((status.conditions as Obj[]) ?? []).map((c) =>
      c.type === 'Ready' || c.type === 'ContainersReady'
        ? { ...c, status: 'False', reason: 'PodCompleted', lastTransitionTime: time }
        : c,
    );
    status.containerStatuses = ((status.containerStatuses as Obj[]) ?? []).map((cs) => ({
      ...cs,
      ready: false,
      started: false,
      state: {
        terminated: {
          exitCode: 0,
          reason: 'Completed',
          startedAt: (cs.state as { running?: { startedAt?: string } })?.running?.startedAt,
          finishedAt: time,
        },
      },
    }));
    this.ctx.registry.writeStatus(pods, pod, status);
  }
}
