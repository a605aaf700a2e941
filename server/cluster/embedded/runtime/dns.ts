import { clusterDnsIp } from '../registry/resources/service-allocation.ts';
import type { Store } from '../storage/store.ts';
import type { KubeObject } from '../storage/types.ts';

/**
 * Cluster DNS as CoreDNS's kubernetes plugin answers it (the DNS-based service discovery spec):
 * <svc>.<ns>.svc.cluster.local is the ClusterIP (headless: the ready pod IPs, and
 * <hostname>.<svc>.<ns>.svc.cluster.local each pod's), <a-b-c-d>.<ns>.pod.cluster.local is that
 * address. Short names go through the pod's search path, as resolv.conf's ndots:5 makes them.
 */

type Obj = Record<string, unknown>;

export const clusterDomain = 'cluster.local';

export interface DnsAnswer {
  /** The fully qualified name that answered. */
  name: string;
  addresses: string[];
}

/** The search path of a pod with dnsPolicy ClusterFirst. */
export function searchPath(namespace: string): string[] {
  return [`${namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain];
}

/** /etc/resolv.conf as the kubelet writes it for a ClusterFirst pod. */
export function resolvConf(pod: KubeObject): string {
  const spec = (pod.spec ?? {}) as Obj;
  if (spec.dnsPolicy === 'Default') return 'nameserver 172.18.0.1\n';
  const namespace = pod.metadata.namespace ?? 'default';
  return `search ${searchPath(namespace).join(' ')}\nnameserver ${clusterDnsIp}\noptions ndots:5\n`;
}

function readyPodIps(store: Store, svc: KubeObject): Array<{ ip: string; pod?: KubeObject; hostname?: string }> {
  const out: Array<{ ip: string; pod?: KubeObject; hostname?: string }> = [];
  for (const slice of store.peek('endpointslices.discovery.k8s.io', svc.metadata.namespace ?? '')) {
    if (slice.metadata.labels?.['kubernetes.io/service-name'] !== svc.metadata.name) continue;
    for (const e of (slice.endpoints as Obj[] | undefined) ?? []) {
      if ((e.conditions as Obj | undefined)?.ready === false) continue;
      const ref = e.targetRef as Obj | undefined;
      const pod = ref ? store.get('pods', svc.metadata.namespace ?? '', String(ref.name)) : undefined;
      const hostname = (pod?.spec as Obj | undefined)?.hostname as string | undefined;
      for (const ip of (e.addresses as string[] | undefined) ?? []) out.push({ ip, pod, hostname });
    }
  }
  return out;
}

/** Answers one fully qualified name (no trailing dot), or undefined for NXDOMAIN. */
export function lookupFqdn(store: Store, fqdn: string): DnsAnswer | undefined {
  const name = fqdn.toLowerCase().replace(/\.$/, '');
  const labels = name.split('.');
  const suffix = clusterDomain.split('.');
  if (labels.length < suffix.length + 3 || labels.slice(-suffix.length).join('.') !== clusterDomain) return undefined;
  const rest = labels.slice(0, -suffix.length);
  const kind = rest[rest.length - 1];
  const namespace = rest[rest.length - 2] ?? '';
  if (!store.get('namespaces', '', namespace)) return undefined;
  if (kind === 'pod' && rest.length === 3) {
    // <a-b-c-d>.<ns>.pod: the dashed address itself ("pods insecure" in the Corefile).
    const ip = rest[0]!.replaceAll('-', '.');
    return /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) ? { name, addresses: [ip] } : undefined;
  }
  if (kind !== 'svc') return undefined;
  if (rest.length === 3) {
    const svc = store.get('services', namespace, rest[0]!);
    if (!svc) return undefined;
    const spec = (svc.spec ?? {}) as Obj;
    if (spec.type === 'ExternalName') return undefined;
    if (spec.clusterIP === 'None') {
      const ips = readyPodIps(store, svc).map((p) => p.ip);
      return ips.length ? { name, addresses: ips } : undefined;
    }
    return typeof spec.clusterIP === 'string' ? { name, addresses: [spec.clusterIP] } : undefined;
  }
  if (rest.length === 4) {
    // <hostname>.<headless svc>.<ns>.svc: a pod that set spec.hostname and spec.subdomain.
    const svc = store.get('services', namespace, rest[1]!);
    if (!svc || (svc.spec as Obj | undefined)?.clusterIP !== 'None') return undefined;
    const match = readyPodIps(store, svc).find(
      (p) => p.hostname === rest[0] && (p.pod?.spec as Obj | undefined)?.subdomain === rest[1],
    );
    return match ? { name, addresses: [match.ip] } : undefined;
  }
  return undefined;
}

/** The names a resolver tries for `name` from a pod in `namespace` (ndots:5, then the name as given). */
export function candidates(name: string, namespace: string): string[] {
  const bare = name.replace(/\.$/, '');
  if (name.endsWith('.')) return [bare];
  const dots = bare.split('.').length - 1;
  const searched = searchPath(namespace).map((s) => `${bare}.${s}`);
  return dots >= 5 ? [bare, ...searched] : [...searched, bare];
}

/** Resolves a name as a pod's resolver would; undefined when every candidate is NXDOMAIN. */
export function resolveFromPod(store: Store, namespace: string, name: string): DnsAnswer | undefined {
  for (const candidate of candidates(name, namespace)) {
    const answer = lookupFqdn(store, candidate);
    if (answer) return answer;
  }
  return undefined;
}
