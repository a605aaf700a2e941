import { ConnectionSet, protocols, type Protocol } from './connections.ts';
import { mergeRanges, parseCidr, parseIp, rangesContain, subtractRanges, type IpRange } from './ip.ts';
import { selects, type LabelSelector, type Labels } from './labels.ts';

type ParsedIp = NonNullable<ReturnType<typeof parseIp>>;

/**
 * The NetworkPolicy engine: networking.k8s.io/v1 semantics over plain objects. Pure: it sees
 * pods, namespaces and policies as data and answers which connections are allowed, and why.
 * The embedded cluster's simulated pods, the graders and the conformance tests share it.
 */

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

/** A pod as the engine sees it: where it lives, its labels, its IPs and the ports it declares. */
export interface PodPeer {
  kind: 'pod';
  namespace: string;
  name: string;
  labels: Labels;
  ips: string[];
  ports: ContainerPort[];
}

/** Anything that is not a pod: an address outside the pod network (or a node, or the cloud metadata service). */
export interface IpPeer {
  kind: 'ip';
  ip: string;
}

export type Peer = PodPeer | IpPeer;

export interface NetworkPolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector | null;
  namespaceSelector?: LabelSelector | null;
  ipBlock?: { cidr: string; except?: string[] } | null;
}

export interface NetworkPolicyIngressRule {
  from?: NetworkPolicyPeer[] | null;
  ports?: NetworkPolicyPort[] | null;
}

export interface NetworkPolicyEgressRule {
  to?: NetworkPolicyPeer[] | null;
  ports?: NetworkPolicyPort[] | null;
}

export interface NetworkPolicySpec {
  podSelector?: LabelSelector | null;
  policyTypes?: string[] | null;
  ingress?: NetworkPolicyIngressRule[] | null;
  egress?: NetworkPolicyEgressRule[] | null;
}

export interface NetworkPolicy {
  metadata: { name?: string; namespace?: string };
  spec?: NetworkPolicySpec;
}

export interface NamespaceInfo {
  name: string;
  labels?: Labels;
}

export type Direction = 'Ingress' | 'Egress';

/** One rule of one policy ("shop/allow-front", Ingress, rule 0). */
export interface RuleRef {
  policy: string;
  direction: Direction;
  index: number;
}

export interface RuleMatch extends RuleRef {
  /** The connections this rule allows for the peer it matched. */
  connections: ConnectionSet;
}

/** What one direction (the source's egress or the destination's ingress) decides. */
export interface DirectionResult {
  direction: Direction;
  /** The pod whose policies decide: the destination for ingress, the source for egress. */
  subject?: PodPeer;
  /** Policies that select the subject for this direction. None: the direction is not isolated. */
  policies: string[];
  /** Rules whose peers include the other side, with the connections each allows. */
  matchedRules: RuleMatch[];
  allowed: ConnectionSet;
}

export interface Reachability {
  egress: DirectionResult;
  ingress: DirectionResult;
  /** Egress and ingress together: what actually gets through. */
  allowed: ConnectionSet;
}

export interface DirectionVerdict extends DirectionResult {
  /** Whether this direction lets the one connection asked about through. */
  permits: boolean;
  /** The first rule that allows it, when the direction is isolated and one does. */
  allowedBy?: RuleMatch;
}

export interface Verdict {
  allowed: boolean;
  protocol: Protocol;
  port: number;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
}

export interface EngineOptions {
  /**
   * Whether ipBlock peers also match pod IPs. Kubernetes' own e2e tests, kindnet and Calico
   * say yes (the default); np-guard's analyzer models "ipBlock is for cluster-external IPs only".
   */
  ipBlockSelectsPods?: boolean;
}

const nameLabel = 'kubernetes.io/metadata.name';

/** policyTypes as the API server defaults them: Ingress always, Egress when egress rules exist. */
export function effectivePolicyTypes(spec: NetworkPolicySpec | undefined): Direction[] {
  if (spec?.policyTypes?.length)
    return spec.policyTypes.filter((t): t is Direction => t === 'Ingress' || t === 'Egress');
  return (spec?.egress?.length ?? 0) > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

interface SelectorPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
}

interface CompiledRule {
  /** True when from/to is absent or empty: the rule matches every peer. */
  matchesAll: boolean;
  selectorPeers: SelectorPeer[];
  /**
   * Every address the rule's ipBlock peers cover (cidr minus except), merged and sorted, so
   * matching an address is one binary search even for rules listing hundreds of blocks.
   */
  blocks: IpRange[];
  ports?: NetworkPolicyPort[];
}

interface CompiledPolicy {
  key: string;
  namespace: string;
  podSelector: LabelSelector;
  types: Direction[];
  ingress: CompiledRule[];
  egress: CompiledRule[];
}

function compileRule(
  peers: NetworkPolicyPeer[] | null | undefined,
  ports: NetworkPolicyPort[] | null | undefined,
): CompiledRule {
  const selectorPeers: SelectorPeer[] = [];
  const blocks: IpRange[] = [];
  for (const peer of peers ?? []) {
    const hasSelectors = peer.podSelector != null || peer.namespaceSelector != null;
    // A peer mixing ipBlock with selectors, or with a CIDR that does not parse, matches nothing
    // (validation rejects both).
    if (peer.ipBlock != null) {
      if (hasSelectors) continue;
      const cidr = parseCidr(peer.ipBlock.cidr ?? '');
      const except = (peer.ipBlock.except ?? []).map((e) => parseCidr(e));
      if (!cidr || except.some((e) => !e)) continue;
      blocks.push(...subtractRanges(cidr, except as IpRange[]));
    } else if (hasSelectors) {
      selectorPeers.push({
        podSelector: peer.podSelector ?? undefined,
        namespaceSelector: peer.namespaceSelector ?? undefined,
      });
    }
  }
  return {
    matchesAll: !peers || peers.length === 0,
    selectorPeers,
    blocks: mergeRanges(blocks),
    ports: ports && ports.length ? ports : undefined,
  };
}

function isProtocol(value: string): value is Protocol {
  return (protocols as readonly string[]).includes(value);
}

/** The connections a rule's ports allow towards a destination (named ports resolve on it). */
export function portsConnections(ports: NetworkPolicyPort[] | undefined, destination: Peer): ConnectionSet {
  if (!ports) return ConnectionSet.all();
  let set = ConnectionSet.none();
  for (const p of ports) {
    const protocol = p.protocol ?? 'TCP';
    if (!isProtocol(protocol)) continue;
    if (p.port === undefined || p.port === null) {
      set = set.union(ConnectionSet.of(protocol));
    } else if (typeof p.port === 'number') {
      set = set.union(ConnectionSet.of(protocol, [[p.port, p.endPort ?? p.port]]));
    } else if (destination.kind === 'pod') {
      // A named port means "the port the destination pod gives that name", on the rule's protocol.
      const named = destination.ports.find((c) => c.name === p.port);
      if (named && (named.protocol ?? 'TCP') === protocol)
        set = set.union(ConnectionSet.of(protocol, [[named.containerPort, named.containerPort]]));
    }
  }
  return set;
}

export class NetworkPolicyEngine {
  private readonly namespaceLabels = new Map<string, Labels>();
  private readonly policies: CompiledPolicy[];
  private readonly ipBlockSelectsPods: boolean;

  constructor(input: { namespaces: NamespaceInfo[]; policies: NetworkPolicy[]; options?: EngineOptions }) {
    for (const ns of input.namespaces) this.namespaceLabels.set(ns.name, { [nameLabel]: ns.name, ...ns.labels });
    this.ipBlockSelectsPods = input.options?.ipBlockSelectsPods ?? true;
    this.policies = input.policies.map((np) => {
      const namespace = np.metadata.namespace ?? 'default';
      const spec = np.spec ?? {};
      return {
        key: `${namespace}/${np.metadata.name ?? ''}`,
        namespace,
        podSelector: spec.podSelector ?? {},
        types: effectivePolicyTypes(spec),
        ingress: (spec.ingress ?? []).map((r) => compileRule(r.from, r.ports)),
        egress: (spec.egress ?? []).map((r) => compileRule(r.to, r.ports)),
      };
    });
  }

  private labelsOfNamespace(name: string): Labels {
    return this.namespaceLabels.get(name) ?? { [nameLabel]: name };
  }

  /** Whether a rule's from/to includes the endpoint; `addresses` are the endpoint's IPs, parsed once. */
  private ruleMatches(policy: CompiledPolicy, rule: CompiledRule, endpoint: Peer, addresses: ParsedIp[]): boolean {
    if (rule.matchesAll) return true;
    if (rule.blocks.length && (endpoint.kind === 'ip' || this.ipBlockSelectsPods)) {
      if (addresses.some((ip) => rangesContain(rule.blocks, ip))) return true;
    }
    if (endpoint.kind !== 'pod') return false;
    return rule.selectorPeers.some((peer) => {
      const namespaceOk = peer.namespaceSelector
        ? selects(peer.namespaceSelector, this.labelsOfNamespace(endpoint.namespace))
        : endpoint.namespace === policy.namespace;
      return namespaceOk && (!peer.podSelector || selects(peer.podSelector, endpoint.labels));
    });
  }

  /** The policies that select a pod for one direction, by "namespace/name". */
  selecting(pod: PodPeer, direction: Direction): string[] {
    return this.policies
      .filter((p) => p.namespace === pod.namespace && p.types.includes(direction) && selects(p.podSelector, pod.labels))
      .map((p) => p.key);
  }

  /** What one direction allows: the destination's ingress (other = source) or the source's egress (other = destination). */
  private decide(direction: Direction, subject: Peer, other: Peer, destination: Peer): DirectionResult {
    if (subject.kind !== 'pod') {
      return { direction, policies: [], matchedRules: [], allowed: ConnectionSet.all() };
    }
    const selecting = this.policies.filter(
      (p) => p.namespace === subject.namespace && p.types.includes(direction) && selects(p.podSelector, subject.labels),
    );
    if (selecting.length === 0) {
      return { direction, subject, policies: [], matchedRules: [], allowed: ConnectionSet.all() };
    }
    const matchedRules: RuleMatch[] = [];
    let allowed = ConnectionSet.none();
    const addresses = (other.kind === 'ip' ? [other.ip] : other.ips)
      .map((ip) => parseIp(ip))
      .filter((ip): ip is ParsedIp => ip !== undefined);
    for (const policy of selecting) {
      const rules = direction === 'Ingress' ? policy.ingress : policy.egress;
      rules.forEach((rule, index) => {
        if (!this.ruleMatches(policy, rule, other, addresses)) return;
        const connections = portsConnections(rule.ports, destination);
        matchedRules.push({ policy: policy.key, direction, index, connections });
        allowed = allowed.union(connections);
      });
    }
    return { direction, subject, policies: selecting.map((p) => p.key), matchedRules, allowed };
  }

  /** Every connection allowed from source to destination, with both directions' reasons. */
  connections(source: Peer, destination: Peer): Reachability {
    const egress = this.decide('Egress', source, destination, destination);
    const ingress = this.decide('Ingress', destination, source, destination);
    return { egress, ingress, allowed: egress.allowed.intersect(ingress.allowed) };
  }

  /** Whether one connection (protocol, port on the destination) is allowed, and which rules decide. */
  check(source: Peer, destination: Peer, protocol: Protocol, port: number): Verdict {
    const { egress, ingress } = this.connections(source, destination);
    const verdict = (result: DirectionResult): DirectionVerdict => ({
      ...result,
      permits: result.allowed.contains(protocol, port),
      allowedBy: result.matchedRules.find((r) => r.connections.contains(protocol, port)),
    });
    const e = verdict(egress);
    const i = verdict(ingress);
    return { allowed: e.permits && i.permits, protocol, port, egress: e, ingress: i };
  }
}
