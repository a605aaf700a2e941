import { isIPv4, isIPv6 } from 'node:net';
import type { Environment } from '@marcbachmann/cel-js';
import { celError } from '../errors.ts';

/** An IP address as bytes (4 for IPv4, 16 for IPv6), as netip.Addr. */
export class IP {
  readonly bytes: number[];
  constructor(bytes: number[]) {
    this.bytes = bytes;
  }
  get family(): 4 | 6 {
    return this.bytes.length === 4 ? 4 : 6;
  }
  toString(): string {
    if (this.family === 4) return this.bytes.join('.');
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((this.bytes[i]! << 8) | this.bytes[i + 1]!);
    // RFC 5952: compress the longest run (of at least two) of zero groups.
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8;) {
      if (groups[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (best < 0) return hex.join(':');
    return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
  }
  equals(other: IP): boolean {
    return this.bytes.length === other.bytes.length && this.bytes.every((b, i) => b === other.bytes[i]);
  }
}

function parseIPv6(text: string): number[] | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const words = (part: string): number[] => {
    if (!part) return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const v4 = piece.split('.').map(Number);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else out.push(parseInt(piece, 16));
    }
    return out;
  };
  const h = words(head);
  const t = words(tail);
  const groups = dbl >= 0 ? [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** Parses an IP as Kubernetes' ip() does: no zones, no IPv4-mapped IPv6, no leading zeros. */
export function parseIP(text: string): IP | undefined {
  if (isIPv4(text)) return new IP(text.split('.').map(Number));
  const bytes = parseIPv6(text);
  if (!bytes) return undefined;
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return undefined;
  return new IP(bytes);
}

export class CIDR {
  readonly ip: IP;
  readonly prefix: number;
  constructor(ip: IP, prefix: number) {
    this.ip = ip;
    this.prefix = prefix;
  }
  masked(): CIDR {
    const bytes = this.ip.bytes.map((b, i) => {
      const bits = Math.max(0, Math.min(8, this.prefix - i * 8));
      return b & ((0xff << (8 - bits)) & 0xff);
    });
    return new CIDR(new IP(bytes), this.prefix);
  }
  contains(ip: IP): boolean {
    if (ip.family !== this.ip.family) return false;
    return new CIDR(ip, this.prefix).masked().ip.equals(this.masked().ip);
  }
  toString(): string {
    return `${this.ip.toString()}/${this.prefix}`;
  }
}

export function parseCIDR(text: string): CIDR | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > ip.bytes.length * 8) return undefined;
  return new CIDR(ip, prefix);
}

function ipOrThrow(text: string): IP {
  const ip = parseIP(text);
  if (!ip)
    throw celError(
      `IP Address "${text}" parse error during conversion from string: ParseAddr("${text}"): unable to parse IP`,
    );
  return ip;
}

function cidrOrThrow(text: string): CIDR {
  const cidr = parseCIDR(text);
  if (!cidr)
    throw celError(
      `network address parse error during conversion from string: netip.ParsePrefix("${text}"): bad prefix`,
    );
  return cidr;
}

const isLoopback = (ip: IP) =>
  ip.family === 4 ? ip.bytes[0] === 127 : ip.bytes.slice(0, 15).every((b) => b === 0) && ip.bytes[15] === 1;
const isUnspecified = (ip: IP) => ip.bytes.every((b) => b === 0);
const isLinkLocalUnicast = (ip: IP) =>
  ip.family === 4 ? ip.bytes[0] === 169 && ip.bytes[1] === 254 : ip.bytes[0] === 0xfe && (ip.bytes[1]! & 0xc0) === 0x80;
const isLinkLocalMulticast = (ip: IP) =>
  ip.family === 4
    ? ip.bytes[0] === 224 && ip.bytes[1] === 0 && ip.bytes[2] === 0
    : ip.bytes[0] === 0xff && (ip.bytes[1]! & 0x0f) === 0x02;
const isMulticast = (ip: IP) => (ip.family === 4 ? (ip.bytes[0]! & 0xf0) === 0xe0 : ip.bytes[0] === 0xff);
const isGlobalUnicast = (ip: IP) =>
  !(
    isUnspecified(ip) ||
    isLoopback(ip) ||
    isMulticast(ip) ||
    isLinkLocalUnicast(ip) ||
    (ip.family === 4 && ip.bytes.every((b) => b === 255))
  );

/** A URL as Kubernetes' url() library sees it (Go's url.URL). */
export class URLValue {
  readonly url: URL;
  readonly raw: string;
  constructor(url: URL, raw: string) {
    this.url = url;
    this.raw = raw;
  }
  toString(): string {
    return this.raw;
  }
}

function parseURL(text: string): URLValue | undefined {
  // Go's url.ParseRequestURI: absolute URLs or absolute paths, no fragments.
  if (text.includes('#')) return undefined;
  try {
    if (text.startsWith('/')) return new URLValue(new URL(text, 'relative:///'), text);
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(text)) return undefined;
    return new URLValue(new URL(text), text);
  } catch {
    return undefined;
  }
}

class IPNamespace {}
class CIDRNamespace {}

/** Kubernetes' ip, cidr and url libraries (k8s.io/apiserver/pkg/cel/library). */
export function registerNetwork(env: Environment): void {
  env.registerType('IP', IP);
  env.registerType('CIDR', CIDR);
  env.registerType('URL', URLValue);
  env.registerFunction('ip(string): IP', ipOrThrow);
  env.registerFunction('isIP(string): bool', (t: string) => parseIP(t) !== undefined);
  env.registerFunction('string(IP): string', (ip: IP) => ip.toString());
  env.registerFunction('IP.family(): int', (ip: IP) => BigInt(ip.family));
  env.registerFunction('IP.isUnspecified(): bool', isUnspecified);
  env.registerFunction('IP.isLoopback(): bool', isLoopback);
  env.registerFunction('IP.isLinkLocalMulticast(): bool', isLinkLocalMulticast);
  env.registerFunction('IP.isLinkLocalUnicast(): bool', isLinkLocalUnicast);
  env.registerFunction('IP.isGlobalUnicast(): bool', isGlobalUnicast);
  env.registerOperator('IP == IP', (a: IP, b: IP) => a.equals(b));
  env.registerType('IPNamespace', IPNamespace);
  env.registerConstant('ip', 'IPNamespace', new IPNamespace());
  env.registerFunction(
    'IPNamespace.isCanonical(string): bool',
    (_: unknown, t: string) => ipOrThrow(t).toString() === t,
  );

  env.registerFunction('cidr(string): CIDR', cidrOrThrow);
  env.registerFunction('isCIDR(string): bool', (t: string) => parseCIDR(t) !== undefined);
  env.registerFunction('string(CIDR): string', (c: CIDR) => c.toString());
  env.registerFunction('CIDR.containsIP(IP): bool', (c: CIDR, ip: IP) => c.contains(ip));
  env.registerFunction('CIDR.containsIP(string): bool', (c: CIDR, t: string) => c.contains(ipOrThrow(t)));
  env.registerFunction('CIDR.containsCIDR(CIDR): bool', (c: CIDR, o: CIDR) => o.prefix >= c.prefix && c.contains(o.ip));
  env.registerFunction('CIDR.containsCIDR(string): bool', (c: CIDR, t: string) => {
    const o = cidrOrThrow(t);
    return o.prefix >= c.prefix && c.contains(o.ip);
  });
  env.registerFunction('CIDR.ip(): IP', (c: CIDR) => c.ip);
  env.registerFunction('CIDR.masked(): CIDR', (c: CIDR) => c.masked());
  env.registerFunction('CIDR.prefixLength(): int', (c: CIDR) => BigInt(c.prefix));
  env.registerOperator('CIDR == CIDR', (a: CIDR, b: CIDR) => a.prefix === b.prefix && a.ip.equals(b.ip));
  env.registerType('CIDRNamespace', CIDRNamespace);

  env.registerFunction('url(string): URL', (t: string) => {
    const u = parseURL(t);
    if (!u) throw celError(`URL parse error during conversion from string: parse "${t}": invalid URI for request`);
    return u;
  });
  env.registerFunction('isURL(string): bool', (t: string) => parseURL(t) !== undefined);
  env.registerFunction('URL.getScheme(): string', (u: URLValue) =>
    u.raw.startsWith('/') ? '' : u.url.protocol.slice(0, -1),
  );
  env.registerFunction('URL.getHost(): string', (u: URLValue) => (u.raw.startsWith('/') ? '' : u.url.host));
  env.registerFunction('URL.getHostname(): string', (u: URLValue) =>
    u.raw.startsWith('/') ? '' : u.url.hostname.replace(/^\[(.*)\]$/, '$1'),
  );
  env.registerFunction('URL.getPort(): string', (u: URLValue) => {
    if (u.raw.startsWith('/')) return '';
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*:(\d+)/.exec(u.raw);
    return m?.[1] ?? '';
  });
  env.registerFunction('URL.getEscapedPath(): string', (u: URLValue) => u.url.pathname);
  env.registerFunction('URL.getQuery(): map<string, list<string>>', (u: URLValue) => {
    const out = new Map<string, string[]>();
    for (const [k, v] of u.url.searchParams) out.set(k, [...(out.get(k) ?? []), v]);
    return out;
  });
}
