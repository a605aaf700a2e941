/**
 * Sets of connections: for each protocol, the ports it covers, as sorted disjoint ranges.
 * Policies are evaluated on whole sets, so "which ports may front reach on back" is one answer,
 * and a single connection is a membership test.
 */

export const protocols = ['TCP', 'UDP', 'SCTP'] as const;
export type Protocol = (typeof protocols)[number];

export const minPort = 1;
export const maxPort = 65535;

/** An inclusive port range. */
export type PortRange = [number, number];

function normalize(ranges: PortRange[]): PortRange[] {
  const sorted = ranges
    .map(([a, b]): PortRange => [Math.max(a, minPort), Math.min(b, maxPort)])
    .filter(([a, b]) => a <= b)
    .sort((x, y) => x[0] - y[0]);
  const out: PortRange[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function intersectRanges(x: PortRange[], y: PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const a = Math.max(x[i]![0], y[j]![0]);
    const b = Math.min(x[i]![1], y[j]![1]);
    if (a <= b) out.push([a, b]);
    if (x[i]![1] < y[j]![1]) i++;
    else j++;
  }
  return out;
}

export class ConnectionSet {
  private readonly ports: ReadonlyMap<Protocol, PortRange[]>;

  private constructor(ports: Map<Protocol, PortRange[]>) {
    this.ports = ports;
  }

  static none(): ConnectionSet {
    return new ConnectionSet(new Map());
  }

  static all(): ConnectionSet {
    return new ConnectionSet(new Map(protocols.map((p) => [p, [[minPort, maxPort]]])));
  }

  /** One protocol, some port ranges (all its ports when ranges are omitted). */
  static of(protocol: Protocol, ranges: PortRange[] = [[minPort, maxPort]]): ConnectionSet {
    const normalized = normalize(ranges);
    return new ConnectionSet(normalized.length ? new Map([[protocol, normalized]]) : new Map());
  }

  union(other: ConnectionSet): ConnectionSet {
    const out = new Map<Protocol, PortRange[]>();
    for (const p of protocols) {
      const merged = normalize([...(this.ports.get(p) ?? []), ...(other.ports.get(p) ?? [])]);
      if (merged.length) out.set(p, merged);
    }
    return new ConnectionSet(out);
  }

  intersect(other: ConnectionSet): ConnectionSet {
    const out = new Map<Protocol, PortRange[]>();
    for (const p of protocols) {
      const both = intersectRanges(this.ports.get(p) ?? [], other.ports.get(p) ?? []);
      if (both.length) out.set(p, both);
    }
    return new ConnectionSet(out);
  }

  contains(protocol: Protocol, port: number): boolean {
    return (this.ports.get(protocol) ?? []).some(([a, b]) => port >= a && port <= b);
  }

  rangesOf(protocol: Protocol): PortRange[] {
    return (this.ports.get(protocol) ?? []).map(([a, b]): PortRange => [a, b]);
  }

  isEmpty(): boolean {
    return this.ports.size === 0;
  }

  isAll(): boolean {
    return protocols.every((p) => {
      const r = this.ports.get(p);
      return r?.length === 1 && r[0]![0] === minPort && r[0]![1] === maxPort;
    });
  }

  equals(other: ConnectionSet): boolean {
    return this.toString() === other.toString();
  }

  /** "All Connections", "No Connections" or "TCP 80,8080-8090,UDP 53" (protocols sorted by name). */
  toString(): string {
    if (this.isAll()) return 'All Connections';
    if (this.isEmpty()) return 'No Connections';
    return [...this.ports.keys()]
      .sort()
      .map((p) => {
        const ranges = this.ports.get(p)!.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
        return `${p} ${ranges.join(',')}`;
      })
      .join(',');
  }

  /** Parses the format toString writes. */
  static parse(text: string): ConnectionSet {
    const trimmed = text.trim();
    if (trimmed === 'All Connections') return ConnectionSet.all();
    if (trimmed === 'No Connections' || trimmed === '') return ConnectionSet.none();
    let result = ConnectionSet.none();
    let current: Protocol | undefined;
    for (const token of trimmed.split(',')) {
      let rest = token.trim();
      const match = /^(TCP|UDP|SCTP)\s+(.*)$/.exec(rest);
      if (match) {
        current = match[1] as Protocol;
        rest = match[2]!;
      }
      if (!current) throw new Error(`connection set "${text}": port before protocol`);
      const [a, b] = rest.split('-').map(Number);
      if (!Number.isInteger(a) || (b !== undefined && !Number.isInteger(b)))
        throw new Error(`connection set "${text}": bad port "${rest}"`);
      result = result.union(ConnectionSet.of(current, [[a!, b ?? a!]]));
    }
    return result;
  }
}
