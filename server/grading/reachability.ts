import { isIP } from 'node:net';
import type { KubeClient } from '../kube/client.ts';
import type { Protocol } from '../netpol/connections.ts';
import {
  NetworkPolicyEngine,
  type NetworkPolicy,
  type Peer,
  type PodPeer,
  type RuleMatch,
  type Verdict,
} from '../netpol/engine.ts';
import { selects } from '../netpol/labels.ts';

/**
 * Whether one pod may connect to a destination, answered from the cluster's objects as the
 * NetworkPolicy engine sees them (the embedded cluster's own pod network uses the same engine).
 * The destination may be a pod, a Service (every ready backend, on its target port), a DNS name
 * (which needs DNS egress to CoreDNS first) or an IP.
 */

type Obj = Record<string, unknown>;

export interface Endpoint {
  pod?: string;
  selector?: Record<string, string>;
  service?: string;
  host?: string;
  ip?: string;
  namespace?: string;
}

export interface PairVerdict {
  source: PodPeer;
  destination: Peer;
  /** ns/name of the destination pod, or the IP. */
  label: string;
  port: number;
  verdict: Verdict;
}

/** The source pods asked for (the feedback names them in the learner's language). */
export type SourceWanted = { pod: string } | { selector: Record<string, string> };

/** Why there is nothing to connect to, for feedback in the learner's language. */
export type MissingDestination =
  | { reason: 'service'; service: string }
  | { reason: 'service-port'; service: string; port: string }
  | { reason: 'no-selector'; service: string }
  | { reason: 'no-ready-pods'; service: string }
  | { reason: 'pod'; pod: string }
  | { reason: 'cluster-name'; host: string }
  | { reason: 'none' };

export type Reach =
  | { kind: 'no-source'; namespace: string; source: SourceWanted }
  | { kind: 'no-destination'; missing: MissingDestination }
  | { kind: 'dns-blocked'; source: PodPeer; policies: string[] }
  | { kind: 'checked'; pairs: PairVerdict[] };

async function getJson(api: KubeClient, path: string): Promise<Obj | undefined> {
  const res = await api.send('GET', path);
  if (res.status === 404) return undefined;
  if (res.status >= 300) throw new Error(`GET ${path}: ${res.status} ${res.text.slice(0, 200)}`);
  return res.json();
}

async function list(api: KubeClient, path: string): Promise<Obj[]> {
  return ((await getJson(api, path))?.items as Obj[] | undefined) ?? [];
}

function meta(o: Obj): { name: string; namespace: string; labels: Record<string, string> } {
  const m = (o.metadata ?? {}) as Obj;
  return {
    name: String(m.name ?? ''),
    namespace: String(m.namespace ?? ''),
    labels: (m.labels ?? {}) as Record<string, string>,
  };
}

function isRunning(pod: Obj): boolean {
  const m = (pod.metadata ?? {}) as Obj;
  return (pod.status as Obj | undefined)?.phase === 'Running' && !m.deletionTimestamp;
}

function isReady(pod: Obj): boolean {
  const conditions = ((pod.status as Obj | undefined)?.conditions as Obj[] | undefined) ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function toPeer(pod: Obj): PodPeer {
  const { name, namespace, labels } = meta(pod);
  const status = (pod.status ?? {}) as Obj;
  const ips = ((status.podIPs as Array<{ ip: string }> | undefined) ?? []).map((p) => p.ip);
  if (ips.length === 0 && typeof status.podIP === 'string') ips.push(status.podIP);
  const containers = ((pod.spec as Obj | undefined)?.containers as Obj[] | undefined) ?? [];
  return {
    kind: 'pod',
    namespace,
    name,
    labels,
    ips,
    ports: containers.flatMap((c) =>
      ((c.ports as Obj[] | undefined) ?? []).map((p) => ({
        name: p.name as string | undefined,
        containerPort: Number(p.containerPort),
        protocol: String(p.protocol ?? 'TCP'),
      })),
    ),
  };
}

function targetPort(pod: PodPeer, servicePort: Obj): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  const named = pod.ports.find((p) => p.name === target && p.protocol === String(servicePort.protocol ?? 'TCP'));
  return named?.containerPort;
}

interface Destination {
  peer: Peer;
  label: string;
  port: number;
}

/** "back", "back.shop", "back.shop.svc", "back.shop.svc.cluster.local" → the Service they name. */
function serviceOfName(host: string, fromNamespace: string): { name: string; namespace: string } | undefined {
  const parts = host.replace(/\.$/, '').split('.');
  if (parts.length === 1) return { name: parts[0]!, namespace: fromNamespace };
  if (parts.length === 2 || (parts.length >= 3 && parts[2] === 'svc')) return { name: parts[0]!, namespace: parts[1]! };
  return undefined;
}

async function serviceDestinations(
  api: KubeClient,
  namespace: string,
  name: string,
  port: number,
  protocol: Protocol,
): Promise<Destination[] | MissingDestination> {
  const service = `${namespace}/${name}`;
  const svc = await getJson(api, `/api/v1/namespaces/${namespace}/services/${name}`);
  if (!svc) return { reason: 'service', service };
  const spec = (svc.spec ?? {}) as Obj;
  const servicePort = ((spec.ports as Obj[] | undefined) ?? []).find(
    (p) => p.port === port && String(p.protocol ?? 'TCP') === protocol,
  );
  if (!servicePort) return { reason: 'service-port', service, port: `${protocol} ${port}` };
  const selector = (spec.selector ?? {}) as Record<string, string>;
  if (Object.keys(selector).length === 0) return { reason: 'no-selector', service };
  const pods = (await list(api, `/api/v1/namespaces/${namespace}/pods`)).filter(
    (p) => isRunning(p) && isReady(p) && selects({ matchLabels: selector }, meta(p).labels),
  );
  const out: Destination[] = [];
  for (const pod of pods) {
    const peer = toPeer(pod);
    const resolved = targetPort(peer, servicePort);
    if (resolved !== undefined) out.push({ peer, label: `${peer.namespace}/${peer.name}`, port: resolved });
  }
  return out.length ? out : { reason: 'no-ready-pods', service };
}

/** Evaluates from → to on port/protocol for every source pod and every destination backend. */
export async function evaluateReach(
  api: KubeClient,
  from: Endpoint,
  to: Endpoint,
  port: number,
  protocol: Protocol,
): Promise<Reach> {
  const fromNamespace = from.namespace ?? 'default';
  const [namespaces, policies, fromPods] = await Promise.all([
    list(api, '/api/v1/namespaces'),
    list(api, '/apis/networking.k8s.io/v1/networkpolicies'),
    list(api, `/api/v1/namespaces/${fromNamespace}/pods`),
  ]);
  const engine = new NetworkPolicyEngine({
    namespaces: namespaces.map((n) => ({ name: meta(n).name, labels: meta(n).labels })),
    policies: policies as unknown as NetworkPolicy[],
  });
  const sources = fromPods
    .filter((p) => isRunning(p))
    .filter((p) =>
      from.pod ? meta(p).name === from.pod : selects({ matchLabels: from.selector ?? {} }, meta(p).labels),
    )
    .map(toPeer)
    .filter((p) => p.ips.length > 0);
  const source: SourceWanted = from.pod ? { pod: `${fromNamespace}/${from.pod}` } : { selector: from.selector ?? {} };
  if (sources.length === 0) return { kind: 'no-source', namespace: fromNamespace, source };

  let destinations: Destination[] | MissingDestination;
  const namespace = to.namespace ?? fromNamespace;
  if (to.pod) {
    const pod = await getJson(api, `/api/v1/namespaces/${namespace}/pods/${to.pod}`);
    const peer = pod && isRunning(pod) ? toPeer(pod) : undefined;
    destinations = peer?.ips.length
      ? [{ peer, label: `${namespace}/${to.pod}`, port }]
      : { reason: 'pod', pod: `${namespace}/${to.pod}` };
  } else if (to.service) {
    destinations = await serviceDestinations(api, namespace, to.service, port, protocol);
  } else if (to.ip || (to.host && isIP(to.host))) {
    const ip = (to.ip ?? to.host)!;
    const owner = (await list(api, '/api/v1/pods')).find((p) => isRunning(p) && toPeer(p).ips.includes(ip));
    destinations = owner
      ? [{ peer: toPeer(owner), label: `${meta(owner).namespace}/${meta(owner).name}`, port }]
      : [{ peer: { kind: 'ip', ip }, label: ip, port }];
  } else if (to.host) {
    // A name: the source must reach CoreDNS first (UDP 53 to kube-system's k8s-app=kube-dns pods).
    const dnsPods = (await list(api, '/api/v1/namespaces/kube-system/pods'))
      .filter((p) => isRunning(p) && meta(p).labels['k8s-app'] === 'kube-dns')
      .map(toPeer);
    for (const source of sources) {
      const verdicts = dnsPods.map((d) => engine.check(source, d, 'UDP', 53));
      if (dnsPods.length && !verdicts.some((v) => v.allowed)) {
        const blocked = verdicts.find((v) => !v.egress.permits) ?? verdicts[0]!;
        return {
          kind: 'dns-blocked',
          source,
          policies: blocked.egress.permits ? blocked.ingress.policies : blocked.egress.policies,
        };
      }
    }
    const svc = serviceOfName(to.host, fromNamespace);
    destinations = svc
      ? await serviceDestinations(api, svc.namespace, svc.name, port, protocol)
      : { reason: 'cluster-name', host: to.host };
  } else {
    destinations = { reason: 'none' };
  }
  if (!Array.isArray(destinations)) return { kind: 'no-destination', missing: destinations };
  const pairs: PairVerdict[] = [];
  for (const source of sources) {
    for (const d of destinations) {
      pairs.push({
        source,
        destination: d.peer,
        label: d.label,
        port: d.port,
        verdict: engine.check(source, d.peer, protocol, d.port),
      });
    }
  }
  return { kind: 'checked', pairs };
}

/** The policy and the 1-based number of the rule that lets traffic through, for feedback. */
export function describeRule(rule: RuleMatch | undefined): { policy: string; index: number } {
  return rule ? { policy: rule.policy, index: rule.index + 1 } : { policy: '', index: 0 };
}
