/**
 * IP addresses and CIDR blocks as integer ranges, for ipBlock matching (IPv4 and IPv6).
 * Pure: no I/O, no cluster state.
 */

export type Family = 4 | 6;

/** An inclusive range of addresses of one family. */
export interface IpRange {
  family: Family;
  start: bigint;
  end: bigint;
}

const v4Max = (1n << 32n) - 1n;
const v6Max = (1n << 128n) - 1n;

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.') && lastColon >= 0) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** Parses an address; undefined when it is not a valid IPv4 or IPv6 address. */
export function parseIp(text: string): { family: Family; value: bigint } | undefined {
  if (text.includes(':')) {
    const value = parseV6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(text);
  return value === undefined ? undefined : { family: 4, value };
}

/** Parses "10.0.0.0/8" or "2001:db8::/64" into the range it covers (host bits ignored, as Go's net.ParseCIDR). */
export function parseCidr(text: string): IpRange | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const width = ip.family === 4 ? 32n : 128n;
  const bits = BigInt(Number(bitsText));
  if (bits > width) return undefined;
  const hostMask = (1n << (width - bits)) - 1n;
  const start = ip.value & ~hostMask & (ip.family === 4 ? v4Max : v6Max);
  return { family: ip.family, start, end: start | hostMask };
}

export function rangeContains(range: IpRange, ip: { family: Family; value: bigint }): boolean {
  return range.family === ip.family && ip.value >= range.start && ip.value <= range.end;
}

export function formatIp(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** The whole address space of a family. */
export function fullRange(family: Family): IpRange {
  return { family, start: 0n, end: family === 4 ? v4Max : v6Max };
}

/**
 * Splits the address space into the smallest ranges that no given range partly overlaps:
 * every address of one atom is inside or outside each given range alike.
 */
export function atoms(ranges: IpRange[], family: Family): IpRange[] {
  const full = fullRange(family);
  const cuts = new Set<bigint>([full.start]);
  for (const r of ranges) {
    if (r.family !== family) continue;
    cuts.add(r.start);
    if (r.end < full.end) cuts.add(r.end + 1n);
  }
  const sorted = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.map((start, i) => ({ family, start, end: i + 1 < sorted.length ? sorted[i + 1]! - 1n : full.end }));
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted, disjoint, non-adjacent ranges covering the same addresses (each family apart). */
export function mergeRanges(ranges: IpRange[]): IpRange[] {
  const sorted = [...ranges].sort((x, y) => x.family - y.family || compareBig(x.start, y.start));
  const out: IpRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && last.family === r.family && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else out.push({ ...r });
  }
  return out;
}

/** The addresses of a range that none of the excluded ranges covers. */
export function subtractRanges(range: IpRange, excluded: IpRange[]): IpRange[] {
  const out: IpRange[] = [];
  let next = range.start;
  for (const e of mergeRanges(excluded.filter((x) => x.family === range.family))) {
    if (e.end < next || e.start > range.end) continue;
    if (e.start > next) out.push({ family: range.family, start: next, end: e.start - 1n });
    next = e.end + 1n;
    if (next > range.end) return out;
  }
  if (next <= range.end) out.push({ family: range.family, start: next, end: range.end });
  return out;
}

/** Binary search in ranges sorted by mergeRanges: O(log n) however many ipBlocks a rule lists. */
export function rangesContain(sorted: IpRange[], ip: { family: Family; value: bigint }): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = sorted[mid]!;
    const order = r.family - ip.family || (ip.value < r.start ? 1 : ip.value > r.end ? -1 : 0);
    if (order === 0) return true;
    if (order > 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return false;
}
