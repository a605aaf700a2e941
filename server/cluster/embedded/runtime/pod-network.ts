import { randomInt } from 'node:crypto';
import {
  NetworkPolicyEngine,
  type NetworkPolicy,
  type Peer,
  type PodPeer,
  type Verdict,
} from '../../../netpol/engine.ts';
import type { Protocol } from '../../../netpol/connections.ts';
import { kubernetesServiceIpAddress, nodeIp } from './addresses.ts';
import type { Store } from '../storage/store.ts';
import type { KubeObject } from '../storage/types.ts';

/**
 * The simulated pod network: where a connection from a pod to an address goes (a pod, a
 * Service's backend, the cloud metadata service, the API server, outside), and whether the
 * NetworkPolicy engine lets it through. No packet moves; the answer is what a CNI enforcing
 * NetworkPolicy would do: deliver, reject (nothing listens), or drop (a policy).
 */

type Obj = Record<string, unknown>;

export const metadataIp = '169.254.169.254';

/** Ports images listen on without declaring them (kubectl create deployment --image=nginx declares none). */
const imageDefaultPorts: Array<[RegExp, number]> = [
  [/(^|\/)(nginx|httpd|caddy|traefik\/whoami)(:|@|$)/, 80],
  [/(^|\/)nginxinc\/nginx-unprivileged(:|@|$)/, 8080],
  [/(^|\/)(postgres|postgresql)(:|@|$)/, 5432],
  [/(^|\/)(mysql|mariadb)(:|@|$)/, 3306],
  [/(^|\/)redis(:|@|$)/, 6379],
  [/(^|\/)mongo(:|@|$)/, 27017],
  [/(^|\/)(kennethreitz\/httpbin|mccutchen\/go-httpbin)(:|@|$)/, 80],
  [/(^|\/)agnhost(:|@|$)/, 80],
];

export interface DropReason {
  /** Which side's policies drop it: the source's egress or the destination's ingress. */
  direction: 'Egress' | 'Ingress';
  /** The isolating policies of that side ("ns/name"). */
  policies: string[];
  /** "ns/pod" of the side whose policies decide. */
  subject: string;
}

export type Delivery =
  | { kind: 'served'; pod: KubeObject; ip: string; port: number; service?: string }
  | { kind: 'metadata'; port: number }
  | { kind: 'apiserver' }
  | { kind: 'refused'; detail: string }
  | { kind: 'dropped'; reason: DropReason; verdict?: Verdict }
  | { kind: 'unreachable'; detail: string };

function podIps(pod: KubeObject): string[] {
  const status = (pod.status ?? {}) as Obj;
  const ips = ((status.podIPs as Array<{ ip: string }> | undefined) ?? []).map((p) => p.ip);
  if (ips.length === 0 && typeof status.podIP === 'string') ips.push(status.podIP);
  return ips;
}

function containers(pod: KubeObject): Obj[] {
  return ((pod.spec as Obj | undefined)?.containers as Obj[] | undefined) ?? [];
}

export function podPeer(pod: KubeObject): PodPeer {
  return {
    kind: 'pod',
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name ?? '',
    labels: pod.metadata.labels ?? {},
    ips: podIps(pod),
    ports: containers(pod).flatMap((c) =>
      ((c.ports as Obj[] | undefined) ?? []).map((p) => ({
        name: p.name as string | undefined,
        containerPort: Number(p.containerPort),
        protocol: String(p.protocol ?? 'TCP'),
      })),
    ),
  };
}

/** Whether the simulated server of a pod listens on a port: a declared containerPort, or its image's usual one. */
export function listens(pod: KubeObject, port: number, protocol: Protocol): boolean {
  for (const c of containers(pod)) {
    for (const p of (c.ports as Obj[] | undefined) ?? []) {
      if (Number(p.containerPort) === port && String(p.protocol ?? 'TCP') === protocol) return true;
    }
    const image = String(c.image ?? '');
    if (protocol === 'TCP' && imageDefaultPorts.some(([re, p]) => p === port && re.test(image))) return true;
  }
  return false;
}

function isRunning(pod: KubeObject): boolean {
  return (pod.status as Obj | undefined)?.phase === 'Running' && !pod.metadata.deletionTimestamp;
}

function isReady(pod: KubeObject): boolean {
  const conditions = ((pod.status as Obj | undefined)?.conditions as Obj[] | undefined) ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export class PodNetwork {
  private readonly store: Store;
  private readonly logs = new Map<string, string[]>();

  constructor(store: Store) {
    this.store = store;
  }

  /** A fresh engine over the cluster's namespaces and policies (cheap: policies are few). */
  engine(): NetworkPolicyEngine {
    return new NetworkPolicyEngine({
      namespaces: this.store.peek('namespaces').map((ns) => ({
        name: ns.metadata.name ?? '',
        labels: ns.metadata.labels ?? {},
      })),
      policies: this.store.peek('networkpolicies.networking.k8s.io') as unknown as NetworkPolicy[],
    });
  }

  /** The running pod that holds an IP, if any. */
  podByIp(ip: string): KubeObject | undefined {
    return this.store.peek('pods').find((p) => isRunning(p) && podIps(p).includes(ip));
  }

  serviceByIp(ip: string): KubeObject | undefined {
    return this.store.peek('services').find((s) => {
      const spec = (s.spec ?? {}) as Obj;
      return spec.clusterIP === ip || ((spec.clusterIPs as string[] | undefined) ?? []).includes(ip);
    });
  }

  /** The ready pods behind a Service port, with the port each listens on (kube-proxy's endpoints). */
  backends(svc: KubeObject, port: number, protocol: Protocol): Array<{ pod: KubeObject; port: number }> {
    const out: Array<{ pod: KubeObject; port: number }> = [];
    for (const slice of this.store.peek('endpointslices.discovery.k8s.io', svc.metadata.namespace ?? '')) {
      if (slice.metadata.labels?.['kubernetes.io/service-name'] !== svc.metadata.name) continue;
      const servicePort = ((svc.spec as Obj | undefined)?.ports as Obj[] | undefined)?.find(
        (p) => p.port === port && String(p.protocol ?? 'TCP') === protocol,
      );
      if (!servicePort) continue;
      const slicePort = ((slice.ports as Obj[] | undefined) ?? []).find(
        (p) => String(p.name ?? '') === String(servicePort.name ?? '') && String(p.protocol ?? 'TCP') === protocol,
      );
      if (!slicePort) continue;
      for (const e of (slice.endpoints as Obj[] | undefined) ?? []) {
        if ((e.conditions as Obj | undefined)?.ready === false) continue;
        const ref = e.targetRef as Obj | undefined;
        const pod = ref ? this.store.get('pods', svc.metadata.namespace ?? '', String(ref.name)) : undefined;
        if (pod && isRunning(pod)) out.push({ pod, port: Number(slicePort.port) });
      }
    }
    return out;
  }

  private drop(verdict: Verdict, source: PodPeer, destination: Peer): Delivery {
    const egress = !verdict.egress.permits;
    const subject = egress ? source : destination;
    return {
      kind: 'dropped',
      verdict,
      reason: {
        direction: egress ? 'Egress' : 'Ingress',
        policies: egress ? verdict.egress.policies : verdict.ingress.policies,
        subject: subject.kind === 'pod' ? `${subject.namespace}/${subject.name}` : subject.ip,
      },
    };
  }

  /** Pod to pod on the port the destination listens on. */
  private toPod(from: KubeObject, to: KubeObject, port: number, protocol: Protocol, service?: string): Delivery {
    const source = podPeer(from);
    const destination = podPeer(to);
    // A pod's traffic to itself never crosses a policy.
    if (from.metadata.uid !== to.metadata.uid) {
      const verdict = this.engine().check(source, destination, protocol, port);
      if (!verdict.allowed) return this.drop(verdict, source, destination);
    }
    if (!listens(to, port, protocol))
      return { kind: 'refused', detail: `nothing listens on ${protocol} port ${port} of pod ${to.metadata.name}` };
    return { kind: 'served', pod: to, ip: podIps(to)[0] ?? '', port, service };
  }

  private toIp(from: KubeObject, ip: string, port: number, protocol: Protocol): Verdict {
    return this.engine().check(podPeer(from), { kind: 'ip', ip }, protocol, port);
  }

  /** Where a connection from a pod to ip:port ends up, policies applied. */
  connect(from: KubeObject, ip: string, port: number, protocol: Protocol = 'TCP'): Delivery {
    if (ip === metadataIp) {
      const verdict = this.toIp(from, ip, port, protocol);
      if (!verdict.allowed) return this.drop(verdict, podPeer(from), { kind: 'ip', ip });
      return port === 80 && protocol === 'TCP'
        ? { kind: 'metadata', port }
        : { kind: 'refused', detail: `the metadata service answers on port 80 only` };
    }
    if (ip === kubernetesServiceIpAddress) {
      // kubernetes.default → the API server on the node, port 6443.
      const verdict = this.toIp(from, nodeIp, 6443, protocol);
      if (!verdict.allowed) return this.drop(verdict, podPeer(from), { kind: 'ip', ip: nodeIp });
      return port === 443
        ? { kind: 'apiserver' }
        : { kind: 'dropped', reason: { direction: 'Egress', policies: [], subject: ip } };
    }
    const svc = this.serviceByIp(ip);
    if (svc) {
      const servicePort = ((svc.spec as Obj | undefined)?.ports as Obj[] | undefined)?.find(
        (p) => p.port === port && String(p.protocol ?? 'TCP') === protocol,
      );
      // No rule for that port: the packet goes nowhere and times out, as with kube-proxy.
      if (!servicePort) return { kind: 'dropped', reason: { direction: 'Egress', policies: [], subject: ip } };
      const backends = this.backends(svc, port, protocol);
      if (backends.length === 0)
        return {
          kind: 'refused',
          detail: `service ${svc.metadata.namespace}/${svc.metadata.name} has no ready endpoints`,
        };
      // kube-proxy picks a backend at random.
      const chosen = backends[randomInt(backends.length)]!;
      return this.toPod(from, chosen.pod, chosen.port, protocol, `${svc.metadata.namespace}/${svc.metadata.name}`);
    }
    const pod = this.podByIp(ip);
    if (pod) return this.toPod(from, pod, port, protocol);
    const verdict = this.toIp(from, ip, port, protocol);
    if (!verdict.allowed) return this.drop(verdict, podPeer(from), { kind: 'ip', ip });
    if (ip === nodeIp) return { kind: 'refused', detail: 'the simulated node serves nothing on that port' };
    return { kind: 'unreachable', detail: 'no traffic leaves the embedded cluster' };
  }

  /** Whether a pod's DNS queries reach a ready CoreDNS pod (UDP 53 through the kube-dns Service). */
  dnsReachable(from: KubeObject): { ok: true } | { ok: false; reason?: DropReason } {
    const dns = this.store.get('services', 'kube-system', 'kube-dns');
    const backends = dns ? this.backends(dns, 53, 'UDP') : [];
    let reason: DropReason | undefined;
    for (const b of backends) {
      const delivery = this.toPod(from, b.pod, b.port, 'UDP');
      if (delivery.kind === 'served') return { ok: true };
      if (delivery.kind === 'dropped') reason ??= delivery.reason;
    }
    return { ok: false, reason };
  }

  readyPods(): KubeObject[] {
    return this.store.peek('pods').filter((p) => isRunning(p) && isReady(p));
  }

  /** Appends one access-log line for a pod's simulated server (kept: the last 200 per pod). */
  record(pod: KubeObject, line: string): void {
    const key = pod.metadata.uid ?? '';
    const lines = this.logs.get(key) ?? [];
    lines.push(line);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
    this.logs.delete(key);
    this.logs.set(key, lines);
    // Bounded memory however many pods come and go: forget the least recently written.
    if (this.logs.size > 500) this.logs.delete(this.logs.keys().next().value!);
  }

  accessLog(pod: KubeObject): string[] {
    return [...(this.logs.get(pod.metadata.uid ?? '') ?? [])];
  }
}
