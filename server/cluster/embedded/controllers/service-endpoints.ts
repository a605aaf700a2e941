import { randomUUID } from 'node:crypto';
import { randomSuffix, sameContent } from '../api/objects.ts';
import { rfc3339 } from '../api/time.ts';
import { selectorMatches } from '../storage/selectors.ts';
import type { KubeObject } from '../storage/types.ts';
import { ownerRef, type Controller, type ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;

export const serviceNameLabel = 'kubernetes.io/service-name';
const sliceManagedBy = 'endpointslice.kubernetes.io/managed-by';
const sliceController = 'endpointslice-controller.k8s.io';
const endpointsManagedBy = 'endpoints.kubernetes.io/managed-by';
const endpointsController = 'endpoint-controller';

interface ResolvedPort {
  name: string;
  port: number;
  protocol: string;
}

interface Backend {
  pod: KubeObject;
  ip: string;
  ready: boolean;
  ports: ResolvedPort[];
}

function isReady(pod: KubeObject): boolean {
  const conditions = ((pod.status as Obj | undefined)?.conditions as Obj[] | undefined) ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A Service port's targetPort on one pod: a number, or the containerPort the pod names so (podutil.FindPort). */
export function resolveTargetPort(pod: KubeObject, servicePort: Obj): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target);
  const protocol = servicePort.protocol ?? 'TCP';
  for (const c of ((pod.spec as Obj | undefined)?.containers as Obj[] | undefined) ?? []) {
    for (const p of (c.ports as Obj[] | undefined) ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return Number(p.containerPort);
    }
  }
  return undefined;
}

/** The pods a Service selects that can be endpoints: scheduled, with an IP, not finished. */
export function serviceBackends(store: ControllerContext['store'], svc: KubeObject): Backend[] {
  const spec = (svc.spec ?? {}) as Obj;
  const selector = spec.selector as Record<string, string> | undefined;
  if (!selector || Object.keys(selector).length === 0) return [];
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const backends: Backend[] = [];
  for (const pod of store.peek('pods', svc.metadata.namespace ?? '')) {
    if (!selectorMatches({ matchLabels: selector }, pod.metadata.labels ?? {})) continue;
    const status = (pod.status ?? {}) as Obj;
    const ip = status.podIP;
    if (typeof ip !== 'string' || !ip) continue;
    if (status.phase === 'Succeeded' || status.phase === 'Failed') continue;
    if (pod.metadata.deletionTimestamp && !publishNotReady) continue;
    const ports: ResolvedPort[] = [];
    for (const p of (spec.ports as Obj[] | undefined) ?? []) {
      const port = resolveTargetPort(pod, p);
      if (port !== undefined) ports.push({ name: String(p.name ?? ''), port, protocol: String(p.protocol ?? 'TCP') });
    }
    backends.push({ pod, ip, ready: publishNotReady || isReady(pod), ports });
  }
  return backends.sort((a, b) => (a.pod.metadata.name ?? '').localeCompare(b.pod.metadata.name ?? ''));
}

function targetRef(pod: KubeObject): Obj {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

/** Pods with the same resolved ports share one subset (endpoints.RepackSubsets). */
function subsetsOf(backends: Backend[]): Obj[] {
  const groups = new Map<string, { ports: ResolvedPort[]; ready: Obj[]; notReady: Obj[] }>();
  for (const b of backends) {
    if (b.ports.length === 0) continue;
    const key = JSON.stringify(b.ports);
    const group = groups.get(key) ?? { ports: b.ports, ready: [], notReady: [] };
    const address = { ip: b.ip, nodeName: (b.pod.spec as Obj | undefined)?.nodeName, targetRef: targetRef(b.pod) };
    (b.ready ? group.ready : group.notReady).push(address);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => ({
    ...(g.ready.length ? { addresses: g.ready } : {}),
    ...(g.notReady.length ? { notReadyAddresses: g.notReady } : {}),
    ports: g.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol })),
  }));
}

function managedServices(ctx: ControllerContext): KubeObject[] {
  return ctx.store
    .peek('services')
    .filter(
      (s) => !s.metadata.deletionTimestamp && Object.keys(((s.spec as Obj)?.selector as Obj | undefined) ?? {}).length,
    );
}

/** The Endpoints controller (pkg/controller/endpoint): one v1 Endpoints per selecting Service. */
export class EndpointsController implements Controller {
  readonly name = 'endpoints-controller';
  readonly watches = ['services', 'pods', 'endpoints'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  sync(): void {
    const def = this.ctx.def('', 'endpoints');
    const wanted = new Set<string>();
    for (const svc of managedServices(this.ctx)) {
      const namespace = svc.metadata.namespace ?? '';
      const name = svc.metadata.name ?? '';
      wanted.add(`${namespace}/${name}`);
      const subsets = subsetsOf(serviceBackends(this.ctx.store, svc));
      const labels = { ...(svc.metadata.labels ?? {}), [endpointsManagedBy]: endpointsController };
      const current = this.ctx.store.get('endpoints', namespace, name);
      if (current && sameContent(current.subsets ?? [], subsets) && sameContent(current.metadata.labels, labels))
        continue;
      const object: KubeObject = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: current
          ? { ...current.metadata, labels }
          : { name, namespace, uid: randomUUID(), creationTimestamp: rfc3339(), labels },
      };
      if (subsets.length) object.subsets = subsets;
      this.ctx.registry.writeObject(def, object);
    }
    for (const ep of [...this.ctx.store.peek('endpoints')]) {
      if (ep.metadata.labels?.[endpointsManagedBy] !== endpointsController) continue;
      if (!wanted.has(`${ep.metadata.namespace}/${ep.metadata.name}`))
        this.ctx.store.delete('endpoints', ep.metadata.namespace ?? '', ep.metadata.name ?? '');
    }
  }
}

/** The EndpointSlice controller (pkg/controller/endpointslice): slices per Service and port set. */
export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller';
  readonly watches = ['services', 'pods', 'endpointslices.discovery.k8s.io'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  sync(): void {
    const def = this.ctx.def('discovery.k8s.io', 'endpointslices');
    const resource = 'endpointslices.discovery.k8s.io';
    const keep = new Set<string>();
    for (const svc of managedServices(this.ctx)) {
      const namespace = svc.metadata.namespace ?? '';
      const serviceName = svc.metadata.name ?? '';
      const groups = new Map<string, { ports: ResolvedPort[]; endpoints: Obj[] }>();
      for (const b of serviceBackends(this.ctx.store, svc)) {
        const key = JSON.stringify(b.ports);
        const group = groups.get(key) ?? { ports: b.ports, endpoints: [] };
        const terminating = Boolean(b.pod.metadata.deletionTimestamp);
        group.endpoints.push({
          addresses: [b.ip],
          conditions: { ready: b.ready && !terminating, serving: b.ready, terminating },
          nodeName: (b.pod.spec as Obj | undefined)?.nodeName,
          targetRef: targetRef(b.pod),
        });
        groups.set(key, group);
      }
      // A Service without backends still gets one empty slice, as upstream keeps a placeholder.
      if (groups.size === 0) groups.set('[]', { ports: [], endpoints: [] });
      const existing = this.ctx.store
        .peek(resource, namespace)
        .filter(
          (s) =>
            s.metadata.labels?.[serviceNameLabel] === serviceName &&
            s.metadata.labels?.[sliceManagedBy] === sliceController,
        );
      const unused = [...existing];
      const labels = {
        ...(svc.metadata.labels ?? {}),
        [serviceNameLabel]: serviceName,
        [sliceManagedBy]: sliceController,
      };
      for (const group of groups.values()) {
        const ports = group.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol }));
        const found = unused.find((s) => sameContent(s.ports ?? [], ports)) ?? unused[0];
        if (found) unused.splice(unused.indexOf(found), 1);
        const body = { addressType: 'IPv4', endpoints: group.endpoints, ports };
        if (found) {
          keep.add(found.metadata.uid ?? '');
          const same =
            found.addressType === body.addressType &&
            sameContent(found.endpoints ?? [], body.endpoints) &&
            sameContent(found.ports ?? [], body.ports) &&
            sameContent(found.metadata.labels, labels);
          if (same) continue;
          this.ctx.registry.writeObject(def, {
            ...found,
            ...body,
            metadata: { ...found.metadata, labels, generation: (found.metadata.generation ?? 1) + 1 },
          });
          continue;
        }
        const created = this.ctx.registry.writeObject(def, {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name: `${serviceName}-${randomSuffix()}`,
            generateName: `${serviceName}-`,
            namespace,
            uid: randomUUID(),
            creationTimestamp: rfc3339(),
            generation: 1,
            labels,
            ownerReferences: [ownerRef(svc)],
          },
          ...body,
        });
        keep.add(created.metadata.uid ?? '');
      }
    }
    for (const slice of [...this.ctx.store.peek(resource)]) {
      if (slice.metadata.labels?.[sliceManagedBy] !== sliceController) continue;
      if (!keep.has(slice.metadata.uid ?? ''))
        this.ctx.store.delete(resource, slice.metadata.namespace ?? '', slice.metadata.name ?? '');
    }
  }
}
