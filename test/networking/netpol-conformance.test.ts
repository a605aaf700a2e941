import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectionSet } from '../../server/netpol/connections.ts';
import { NetworkPolicyEngine, type NetworkPolicy, type Peer, type PodPeer } from '../../server/netpol/engine.ts';
import { atoms, formatIp, parseCidr, type IpRange } from '../../server/netpol/ip.ts';
import { projectRoot } from '../helpers/project.ts';
import { loadNpGuardCase, parseConnlist } from './np-guard.ts';

const root = join(projectRoot, '..', 'shared', 'conformance', 'netpol');
const present = existsSync(join(root, 'np-guard-netpol-analyzer', 'tests'));
if (!present && process.env.CI === 'true') throw new Error(`NetworkPolicy conformance data missing at ${root}`);
if (!present) console.warn(`NetworkPolicy conformance data not found at ${root}: suite skipped`);

const npGuardRoot = join(root, 'np-guard-netpol-analyzer');
const npGuardCases = present ? readdirSync(join(npGuardRoot, 'tests')).sort() : [];
const tally = { cases: 0, passed: 0, pairs: 0, externalPairs: 0, tables: 0, cells: 0, traffic: 0, targets: 0 };

afterAll(() => {
  if (!present) return;
  console.log(
    `np-guard: ${tally.passed}/${tally.cases} cases pass (${tally.pairs} workload pairs, ${tally.externalPairs} external-range pairs compared); ` +
      `cyclonus: ${tally.tables} truth tables (${tally.cells} cells), ${tally.traffic} traffic queries, ${tally.targets} target queries`,
  );
});

/** Every IP referenced by any policy, so the IPv4 space splits into ranges that policies treat alike. */
function ipBlockRanges(policies: NetworkPolicy[]): IpRange[] {
  const ranges: IpRange[] = [];
  for (const np of policies) {
    const rules = [...(np.spec?.ingress ?? []).map((r) => r.from), ...(np.spec?.egress ?? []).map((r) => r.to)];
    for (const peers of rules) {
      for (const peer of peers ?? []) {
        if (!peer.ipBlock) continue;
        for (const cidr of [peer.ipBlock.cidr, ...(peer.ipBlock.except ?? [])]) {
          const range = parseCidr(cidr);
          if (range) ranges.push(range);
        }
      }
    }
  }
  return ranges;
}

function parseExternal(id: string): IpRange | undefined {
  const match = /^(.+)\[External\]$/.exec(id);
  if (!match) return undefined;
  const [a, b] = match[1]!.split('-');
  const start = parseCidr(`${a}/32`);
  const end = parseCidr(`${b ?? a}/32`);
  return start && end ? { family: 4, start: start.start, end: end.start } : undefined;
}

describe.skipIf(!present)('np-guard netpol-analyzer connectivity cases', () => {
  it.each(npGuardCases)('%s', (name) => {
    tally.cases++;
    const input = loadNpGuardCase(join(npGuardRoot, 'tests', name));
    const expectedText = readFileSync(
      join(npGuardRoot, 'test_outputs', 'connlist', `${name}_connlist_output.txt`),
      'utf8',
    );
    const expected = parseConnlist(expectedText);
    // np-guard models ipBlock as selecting cluster-external addresses only.
    const engine = new NetworkPolicyEngine({ ...input, options: { ipBlockSelectsPods: false } });
    const ids = new Set(input.workloads.map((w) => w.id));
    const mismatches: string[] = [];
    const compare = (what: string, actual: ConnectionSet, want: ConnectionSet) => {
      if (!actual.equals(want)) mismatches.push(`${what}: engine ${actual.toString()}, np-guard ${want.toString()}`);
    };

    // Workload to workload: every ordered pair, listed or not (not listed = no connection).
    const workloadLines = new Map(
      expected.filter((l) => ids.has(l.src) && ids.has(l.dst)).map((l) => [`${l.src} => ${l.dst}`, l]),
    );
    for (const src of input.workloads) {
      for (const dst of input.workloads) {
        if (src.id === dst.id) continue;
        tally.pairs++;
        const line = workloadLines.get(`${src.id} => ${dst.id}`);
        const want = line ? ConnectionSet.parse(line.connections) : ConnectionSet.none();
        compare(`${src.id} => ${dst.id}`, engine.connections(src.pod, dst.pod).allowed, want);
      }
    }

    // External ranges: split IPv4 into atoms no policy CIDR cuts; each atom must get what np-guard
    // printed for the range containing it (or nothing when no line covers it).
    const externalLines = expected
      .map((l) => ({ ...l, srcRange: parseExternal(l.src), dstRange: parseExternal(l.dst) }))
      .filter((l) => l.srcRange || l.dstRange);
    const unknown = expected.filter(
      (l) => !(ids.has(l.src) || parseExternal(l.src)) || !(ids.has(l.dst) || parseExternal(l.dst)),
    );
    expect(unknown.map((l) => `${l.src} => ${l.dst}`)).toEqual([]);
    // Lines indexed by direction and workload, sorted by range: each (atom, workload) pair is then
    // one binary search, not a scan of the whole output (ipblockstest_4 prints ~24,000 lines).
    const linesOf = new Map<string, Array<{ range: IpRange; connections: string }>>();
    for (const l of externalLines) {
      const key = l.srcRange ? `in ${l.dst}` : `out ${l.src}`;
      const list = linesOf.get(key) ?? [];
      list.push({ range: (l.srcRange ?? l.dstRange)!, connections: l.connections });
      linesOf.set(key, list);
    }
    const overlaps: string[] = [];
    for (const [key, list] of linesOf) {
      list.sort((x, y) => (x.range.start < y.range.start ? -1 : x.range.start > y.range.start ? 1 : 0));
      list.forEach((l, i) => {
        if (i > 0 && l.range.start <= list[i - 1]!.range.end) overlaps.push(`${key}: ${formatIp(4, l.range.start)}`);
      });
    }
    // np-guard prints each address of a workload's direction at most once.
    expect(overlaps).toEqual([]);
    /** The line whose range holds the whole atom, if any. */
    const lineFor = (key: string, atom: IpRange) => {
      const list = linesOf.get(key) ?? [];
      let lo = 0;
      let hi = list.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const { range } = list[mid]!;
        if (atom.start < range.start) hi = mid - 1;
        else if (atom.start > range.end) lo = mid + 1;
        else return atom.end <= range.end ? list[mid] : undefined;
      }
      return undefined;
    };
    for (const atom of atoms(ipBlockRanges(input.policies), 4)) {
      const ip: Peer = { kind: 'ip', ip: formatIp(4, atom.start) };
      for (const w of input.workloads) {
        for (const [direction, src, dst] of [
          ['in', ip, w.pod],
          ['out', w.pod, ip],
        ] as Array<[string, Peer, PodPeer | Peer]>) {
          tally.externalPairs++;
          const line = lineFor(`${direction} ${w.id}`, atom);
          const want = line ? ConnectionSet.parse(line.connections) : ConnectionSet.none();
          const label =
            direction === 'in'
              ? `${formatIp(4, atom.start)}-${formatIp(4, atom.end)} => ${w.id}`
              : `${w.id} => ${formatIp(4, atom.start)}-${formatIp(4, atom.end)}`;
          compare(label, engine.connections(src, dst).allowed, want);
        }
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    tally.passed++;
  });
});

// ---------------------------------------------------------------------------------------------

interface CyclonusPod {
  Namespace: string;
  Name: string;
  Labels: Record<string, string>;
  IP: string;
  Containers: Array<{ Name: string; Port: number; PortName: string; Protocol: string }>;
}

const cyclonusRoot = join(root, 'cyclonus');

function cyclonusPolicies(): NetworkPolicy[] {
  const dir = join(cyclonusRoot, 'networkpolicies', 'simple-example');
  return readdirSync(dir)
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as NetworkPolicy));
}

function cyclonusPeer(pod: CyclonusPod): PodPeer {
  return {
    kind: 'pod',
    namespace: pod.Namespace,
    name: pod.Name,
    labels: pod.Labels,
    ips: [pod.IP],
    ports: pod.Containers.map((c) => ({ name: c.PortName, containerPort: c.Port, protocol: c.Protocol.toUpperCase() })),
  };
}

/** The grids of analyze-probe.txt: for each probe, Ingress, Egress and Combined, row = from, column = to. */
function parseTruthTables(text: string): Array<Record<'Ingress' | 'Egress' | 'Combined', Map<string, string>>> {
  const probes: Array<Record<'Ingress' | 'Egress' | 'Combined', Map<string, string>>> = [];
  let current: Partial<Record<'Ingress' | 'Egress' | 'Combined', Map<string, string>>> = {};
  let table: Map<string, string> | undefined;
  let columns: string[] = [];
  for (const line of text.split('\n')) {
    const title = /^(Ingress|Egress|Combined):$/.exec(line.trim());
    if (title) {
      table = new Map();
      current[title[1] as 'Ingress'] = table;
      columns = [];
      if (title[1] === 'Combined') {
        probes.push(current as Record<'Ingress' | 'Egress' | 'Combined', Map<string, string>>);
        current = {};
      }
      continue;
    }
    if (!table || !line.startsWith('|')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells[0] === '') columns = cells.slice(1).map((c) => c.toLowerCase());
    else cells.slice(1).forEach((value, i) => table!.set(`${cells[0]} -> ${columns[i]}`, value));
  }
  return probes.filter((p) => p.Combined.size > 0);
}

describe.skipIf(!present)('cyclonus model truth tables and queries', () => {
  const probe = present
    ? (JSON.parse(readFileSync(join(cyclonusRoot, 'examples', 'probe.json'), 'utf8')) as {
        Probes: Array<{ Protocol: string; Port: number }>;
        Resources: { Namespaces: Record<string, Record<string, string>>; Pods: CyclonusPod[] };
      })
    : undefined;
  const tables = present
    ? parseTruthTables(readFileSync(join(cyclonusRoot, 'examples', 'cyclonus-output', 'analyze-probe.txt'), 'utf8'))
    : [];
  const namespaces = Object.entries(probe?.Resources.Namespaces ?? {}).map(([name, labels]) => ({ name, labels }));
  const engine = new NetworkPolicyEngine({ namespaces, policies: present ? cyclonusPolicies() : [] });

  it('has one set of tables per probe', () => {
    expect(tables.length).toBe(probe!.Probes.length);
  });

  it.each(probe?.Probes.map((p, i) => [`${p.Protocol} ${p.Port}`, i] as const) ?? [])(
    'probe %s: ingress, egress and combined tables',
    (_name, index) => {
      const { Protocol, Port } = probe!.Probes[index]!;
      const expected = tables[index]!;
      const pods = probe!.Resources.Pods;
      for (const from of pods) {
        for (const to of pods) {
          const key = `${from.Namespace}/${from.Name} -> ${to.Namespace}/${to.Name}`;
          // cyclonus probes only ports the destination serves; others are "N" (ingress), "?" (egress).
          const served = to.Containers.some((c) => c.Port === Port);
          const verdict = engine.check(cyclonusPeer(from), cyclonusPeer(to), Protocol as 'TCP', Port);
          const mark = (ok: boolean) => (ok ? '.' : 'X');
          const actual = served
            ? {
                Ingress: mark(verdict.ingress.permits),
                Egress: mark(verdict.egress.permits),
                Combined: mark(verdict.allowed),
              }
            : { Ingress: 'N', Egress: '?', Combined: 'N' };
          for (const kind of ['Ingress', 'Egress', 'Combined'] as const) {
            tally.cells++;
            expect(`${kind} ${key}: ${actual[kind]}`).toBe(`${kind} ${key}: ${expected[kind].get(key)}`);
          }
        }
      }
      tally.tables += 3;
    },
  );

  const trafficCases = present
    ? (JSON.parse(readFileSync(join(cyclonusRoot, 'examples', 'traffic.json'), 'utf8')) as Array<{
        Source: { IP?: string; Internal?: { PodLabels: Record<string, string>; Namespace: string } };
        Destination: { IP?: string; Internal?: { PodLabels: Record<string, string>; Namespace: string } };
        Protocol: string;
        ResolvedPort: number;
        ResolvedPortName?: string;
      }>)
    : [];
  const trafficAnswers = present
    ? [
        ...readFileSync(
          join(cyclonusRoot, 'examples', 'cyclonus-output', 'analyze-query-traffic.txt'),
          'utf8',
        ).matchAll(/IS ALLOWED\? \|\s*(TRUE|FALSE)/g),
      ].map((m) => m[1] === 'TRUE')
    : [];

  it.each(trafficCases.map((t, i) => [i + 1, t] as const))('traffic query %i', (i, traffic) => {
    const peer = (side: typeof traffic.Source, port?: string): Peer =>
      side.Internal
        ? {
            kind: 'pod',
            namespace: side.Internal.Namespace,
            name: 'query',
            labels: side.Internal.PodLabels,
            ips: side.IP ? [side.IP] : [],
            ports: port ? [{ name: port, containerPort: traffic.ResolvedPort, protocol: traffic.Protocol }] : [],
          }
        : { kind: 'ip', ip: side.IP ?? '' };
    const verdict = engine.check(
      peer(traffic.Source),
      peer(traffic.Destination, traffic.ResolvedPortName),
      traffic.Protocol as 'TCP',
      traffic.ResolvedPort,
    );
    expect(trafficAnswers).toHaveLength(trafficCases.length);
    expect(verdict.allowed).toBe(trafficAnswers[i - 1]);
    tally.traffic++;
  });

  const targets = present
    ? (JSON.parse(readFileSync(join(cyclonusRoot, 'examples', 'targets.json'), 'utf8')) as Array<{
        Namespace: string;
        Labels: Record<string, string>;
      }>)
    : [];
  const targetText = present
    ? readFileSync(join(cyclonusRoot, 'examples', 'cyclonus-output', 'analyze-query-target.txt'), 'utf8')
    : '';

  it.each(targets.map((t) => [JSON.stringify(t.Labels), t] as const))('target query %s', (_name, target) => {
    // The "Combined rules" table of this target lists the policies selecting it, per direction.
    const labelText = Object.entries(target.Labels)
      .sort()
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    const block = targetText
      .split(/^pod in ns /m)
      .find((b) => b.startsWith(`${target.Namespace} with labels map[${labelText}]`))!;
    const combined = block.split('Combined rules:')[1]!;
    const expected: Record<string, string[]> = { Ingress: [], Egress: [] };
    let direction = '';
    for (const line of combined.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      if (cells[1] === 'Ingress' || cells[1] === 'Egress') direction = cells[1];
      if (direction && /^[a-z0-9-]+\/[a-z0-9-]+$/.test(cells[3] ?? '')) expected[direction]!.push(cells[3]!);
    }
    const pod: PodPeer = {
      kind: 'pod',
      namespace: target.Namespace,
      name: 't',
      labels: target.Labels,
      ips: [],
      ports: [],
    };
    expect(engine.selecting(pod, 'Ingress').sort()).toEqual(expected.Ingress!.sort());
    expect(engine.selecting(pod, 'Egress').sort()).toEqual(expected.Egress!.sort());
    tally.targets++;
  });
});
