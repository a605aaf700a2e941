import { describe, expect, it } from 'vitest';
import { ConnectionSet } from '../../server/netpol/connections.ts';
import {
  effectivePolicyTypes,
  NetworkPolicyEngine,
  type NetworkPolicy,
  type PodPeer,
} from '../../server/netpol/engine.ts';
import {
  atoms,
  formatIp,
  mergeRanges,
  parseCidr,
  parseIp,
  rangesContain,
  subtractRanges,
} from '../../server/netpol/ip.ts';
import { selects } from '../../server/netpol/labels.ts';

const pod = (namespace: string, name: string, labels: Record<string, string>, ip: string, ports = [80]): PodPeer => ({
  kind: 'pod',
  namespace,
  name,
  labels,
  ips: [ip],
  ports: ports.map((p) => ({ name: p === 80 ? 'http' : `p${p}`, containerPort: p, protocol: 'TCP' })),
});

const front = pod('shop', 'front', { app: 'front' }, '10.244.0.10');
const back = pod('shop', 'back', { app: 'back' }, '10.244.0.11');
const db = pod('shop', 'db', { app: 'db' }, '10.244.0.12', [5432]);
const intruder = pod('dev', 'shell', { app: 'front' }, '10.244.0.20');
const namespaces = [
  { name: 'shop', labels: { team: 'shop' } },
  { name: 'dev', labels: { team: 'dev' } },
];

const np = (name: string, spec: NetworkPolicy['spec'], namespace = 'shop'): NetworkPolicy => ({
  metadata: { name, namespace },
  spec,
});
const engine = (...policies: NetworkPolicy[]) => new NetworkPolicyEngine({ namespaces, policies });

const denyAll = np('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

describe('NetworkPolicy engine', () => {
  it('allows everything when no policy selects either pod', () => {
    const verdict = engine().check(front, back, 'TCP', 80);
    expect(verdict.allowed).toBe(true);
    expect(verdict.ingress.policies).toEqual([]);
    expect(engine().connections(front, back).allowed.isAll()).toBe(true);
  });

  it('denies under default deny and names the isolating policy in both directions', () => {
    const verdict = engine(denyAll).check(front, back, 'TCP', 80);
    expect(verdict.allowed).toBe(false);
    expect(verdict.egress.policies).toEqual(['shop/default-deny']);
    expect(verdict.ingress.policies).toEqual(['shop/default-deny']);
    expect(verdict.egress.matchedRules).toEqual([]);
  });

  it('adds allow rules on top of default deny (policies are additive)', () => {
    const allowIn = np('back-from-front', {
      podSelector: { matchLabels: { app: 'back' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'front' } } }], ports: [{ port: 80 }] }],
    });
    const allowOut = np('front-to-back', {
      podSelector: { matchLabels: { app: 'front' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'back' } } }], ports: [{ port: 'http' }] }],
    });
    const e = engine(denyAll, allowIn, allowOut);
    const verdict = e.check(front, back, 'TCP', 80);
    expect(verdict.allowed).toBe(true);
    expect(verdict.ingress.allowedBy).toMatchObject({ policy: 'shop/back-from-front', direction: 'Ingress', index: 0 });
    expect(verdict.egress.allowedBy).toMatchObject({ policy: 'shop/front-to-back', index: 0 });
    expect(e.check(front, back, 'TCP', 8080).allowed).toBe(false);
    expect(e.check(front, db, 'TCP', 5432).allowed).toBe(false);
    expect(e.connections(front, back).allowed.toString()).toBe('TCP 80');
  });

  it('keeps namespaceSelector AND podSelector apart from the two-peer OR', () => {
    const and = np('and', {
      podSelector: { matchLabels: { app: 'back' } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { team: 'shop' } }, podSelector: { matchLabels: { app: 'front' } } },
          ],
        },
      ],
    });
    const or = np('or', {
      podSelector: { matchLabels: { app: 'back' } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { team: 'shop' } } },
            { podSelector: { matchLabels: { app: 'front' } } },
          ],
        },
      ],
    });
    const other = pod('shop', 'other', { app: 'other' }, '10.244.0.30');
    expect(engine(and).check(intruder, back, 'TCP', 80).allowed).toBe(false);
    expect(engine(and).check(other, back, 'TCP', 80).allowed).toBe(false);
    expect(engine(and).check(front, back, 'TCP', 80).allowed).toBe(true);
    // OR: any pod of shop, or app=front pods of the policy's own namespace (not dev's).
    expect(engine(or).check(other, back, 'TCP', 80).allowed).toBe(true);
    expect(engine(or).check(intruder, back, 'TCP', 80).allowed).toBe(false);
  });

  it('defaults policyTypes the way the API server does', () => {
    expect(effectivePolicyTypes({ podSelector: {} })).toEqual(['Ingress']);
    expect(effectivePolicyTypes({ podSelector: {}, egress: [] })).toEqual(['Ingress']);
    expect(effectivePolicyTypes({ podSelector: {}, egress: [{}] })).toEqual(['Ingress', 'Egress']);
    expect(effectivePolicyTypes({ policyTypes: ['Egress'] })).toEqual(['Egress']);
    // An Ingress-only policy with no rules isolates ingress but leaves egress open.
    const e = engine(np('deny-in', { podSelector: {} }));
    expect(e.check(front, back, 'TCP', 80).egress.permits).toBe(true);
    expect(e.check(front, back, 'TCP', 80).ingress.permits).toBe(false);
  });

  it('matches ipBlock with except, for external addresses and (by default) pod IPs', () => {
    const metadata = { kind: 'ip' as const, ip: '169.254.169.254' };
    const internet = { kind: 'ip' as const, ip: '93.184.216.34' };
    const egress = np('egress-no-metadata', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }],
    });
    const e = engine(egress);
    expect(e.check(front, metadata, 'TCP', 80).allowed).toBe(false);
    expect(e.check(front, internet, 'TCP', 443).allowed).toBe(true);
    expect(e.check(front, back, 'TCP', 80).allowed).toBe(true);
    const npGuardStyle = new NetworkPolicyEngine({
      namespaces,
      policies: [egress],
      options: { ipBlockSelectsPods: false },
    });
    expect(npGuardStyle.check(front, back, 'TCP', 80).allowed).toBe(false);
  });

  it('resolves named ports on the destination, protocol included', () => {
    const udpNamed = pod('shop', 'dns', { app: 'dns' }, '10.244.0.40', []);
    udpNamed.ports = [{ name: 'dns', containerPort: 53, protocol: 'UDP' }];
    const rule = (protocol: string) =>
      np(`named-${protocol}`, {
        podSelector: { matchLabels: { app: 'dns' } },
        ingress: [{ ports: [{ port: 'dns', protocol }] }],
      });
    expect(engine(rule('UDP')).check(front, udpNamed, 'UDP', 53).allowed).toBe(true);
    expect(engine(rule('TCP')).check(front, udpNamed, 'TCP', 53).allowed).toBe(false);
    expect(engine(rule('TCP')).check(front, udpNamed, 'UDP', 53).allowed).toBe(false);
  });

  it('covers endPort ranges and protocols without ports', () => {
    const e = engine(
      np('range', {
        podSelector: { matchLabels: { app: 'back' } },
        ingress: [{ ports: [{ port: 8000, endPort: 8010 }, { protocol: 'SCTP' }] }],
      }),
    );
    expect(e.connections(front, back).allowed.toString()).toBe('SCTP 1-65535,TCP 8000-8010');
    expect(e.check(front, back, 'TCP', 8010).allowed).toBe(true);
    expect(e.check(front, back, 'TCP', 8011).allowed).toBe(false);
    expect(e.check(front, back, 'UDP', 8005).allowed).toBe(false);
  });

  it('reports the rules that matched the peer even when their ports do not cover the connection', () => {
    const dnsOnly = np('allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
      ],
    });
    const verdict = engine(dnsOnly).check(front, back, 'TCP', 80);
    expect(verdict.allowed).toBe(false);
    expect(verdict.egress.allowedBy).toBeUndefined();
    expect(verdict.egress.matchedRules.map((r) => r.connections.toString())).toEqual(['TCP 53,UDP 53']);
  });
});

describe('engine building blocks', () => {
  it('parses IPv4, IPv6 and CIDRs, and splits the space into atoms', () => {
    expect(parseIp('10.96.0.10')).toEqual({ family: 4, value: 0x0a60000an });
    expect(parseIp('fd00::1')?.value).toBe((0xfd00n << 112n) | 1n);
    expect(parseIp('::ffff:10.0.0.1')?.value).toBe((0xffffn << 32n) | 0x0a000001n);
    expect(parseIp('300.1.1.1')).toBeUndefined();
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, start: 0x0a000000n, end: 0x0affffffn });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    const parts = atoms([parseCidr('10.0.0.0/8')!, parseCidr('10.1.0.0/16')!], 4);
    expect(parts.map((a) => [a.start, a.end])).toEqual([
      [0n, 0x09ffffffn],
      [0x0a000000n, 0x0a00ffffn],
      [0x0a010000n, 0x0a01ffffn],
      [0x0a020000n, 0x0affffffn],
      [0x0b000000n, 0xffffffffn],
    ]);
  });

  it('round-trips connection sets', () => {
    for (const text of ['All Connections', 'No Connections', 'TCP 80', 'SCTP 7070,TCP 8080-8081,UDP 9090']) {
      expect(ConnectionSet.parse(text).toString()).toBe(text);
    }
    expect(
      ConnectionSet.of('TCP', [[80, 80]])
        .union(ConnectionSet.of('TCP', [[81, 90]]))
        .toString(),
    ).toBe('TCP 80-90');
  });

  it('evaluates label selectors like apimachinery', () => {
    expect(selects({}, {})).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, {})).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, {})).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, { tier: '' })).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'x', operator: 'Bogus' }] }, { x: '1' })).toBe(false);
  });

  it('subtracts excepts, merges blocks and finds addresses by binary search', () => {
    const cidr = (t: string) => parseCidr(t)!;
    const pieces = subtractRanges(cidr('10.0.0.0/24'), [cidr('10.0.0.64/26'), cidr('10.0.0.0/32')]);
    expect(pieces.map((r) => `${formatIp(4, r.start)}-${formatIp(4, r.end)}`)).toEqual([
      '10.0.0.1-10.0.0.63',
      '10.0.0.128-10.0.0.255',
    ]);
    const merged = mergeRanges([...pieces, cidr('10.0.0.64/27'), cidr('2001:db8::/64'), cidr('192.168.0.0/16')]);
    expect(merged).toHaveLength(4);
    const has = (ip: string) => rangesContain(merged, parseIp(ip)!);
    expect(['10.0.0.1', '10.0.0.95', '10.0.0.200', '192.168.3.4', '2001:db8::1'].map(has)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['10.0.0.0', '10.0.0.96', '10.0.1.0', '2001:db9::1', '8.8.8.8'].map(has)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
