import { isIPv4, isIPv6 } from 'node:net';
import { FieldError } from '../../api/status.ts';

type Obj = Record<string, unknown>;

interface Cidr {
  bits: 32 | 128;
  network: bigint;
  prefix: number;
}

function ipValue(ip: string): bigint | undefined {
  if (isIPv4(ip)) return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  if (!isIPv6(ip)) return undefined;
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const expand = (s: string) => (s ? s.split(':') : []).flatMap((g) => (g.includes('.') ? v4Groups(g) : [g]));
  const v4Groups = (v4: string) => {
    const n = ipValue(v4) ?? 0n;
    return [((n >> 16n) & 0xffffn).toString(16), (n & 0xffffn).toString(16)];
  };
  const h = expand(head);
  const t = expand(tail);
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

/** netutils.ParseCIDRSloppy: the network of "10.0.0.1/8", or undefined. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const bits = isIPv4(ip) ? 32 : isIPv6(ip) ? 128 : undefined;
  const value = ipValue(ip);
  const prefix = Number(prefixText);
  if (!bits || value === undefined || prefix > bits) return undefined;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { bits, network: value & mask, prefix };
}

function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.bits !== inner.bits || outer.prefix > inner.prefix) return false;
  const shift = BigInt(outer.bits - outer.prefix);
  return outer.prefix === 0 || inner.network >> shift === outer.network >> shift;
}

const cidrMessage = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/** ValidateIPBlock (pkg/apis/networking/validation): a CIDR, and excepts strictly inside it. */
export function validateIpBlock(block: Obj, path: string): FieldError[] {
  const cidrText = block.cidr;
  if (typeof cidrText !== 'string' || cidrText === '') return [FieldError.required(`${path}.cidr`, '')];
  const cidr = parseCidr(cidrText);
  if (!cidr) return [FieldError.invalid(`${path}.cidr`, cidrText, cidrMessage)];
  const errs: FieldError[] = [];
  ((block.except as unknown[] | undefined) ?? []).forEach((value, i) => {
    const at = `${path}.except[${i}]`;
    const except = typeof value === 'string' ? parseCidr(value) : undefined;
    if (!except) {
      errs.push(FieldError.invalid(at, value, cidrMessage));
      return;
    }
    if (!contains(cidr, except) || cidr.prefix >= except.prefix)
      errs.push(FieldError.invalid(at, value, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

/** validation.IsValidPortName (an IANA_SVC_NAME). */
function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

const portRange = 'must be between 1 and 65535, inclusive';
const protocols = ['TCP', 'UDP', 'SCTP'];

/** ValidateNetworkPolicyPort: protocol, numeric or named port, and endPort rules. */
export function validateNetworkPolicyPort(port: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (port.protocol !== undefined && !protocols.includes(String(port.protocol)))
    errs.push(FieldError.notSupported(`${path}.protocol`, port.protocol, protocols));
  const value = port.port;
  const end = port.endPort;
  const validNumber = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
  if (value === undefined || value === null) {
    if (end !== undefined)
      errs.push(FieldError.invalid(`${path}.endPort`, end, 'may not be specified when `port` is not specified'));
  } else if (typeof value === 'number') {
    if (!validNumber(value)) errs.push(FieldError.invalid(`${path}.port`, value, portRange));
    if (end !== undefined) {
      if (typeof end === 'number' && end < value)
        errs.push(FieldError.invalid(`${path}.endPort`, value, 'must be greater than or equal to `port`'));
      if (!validNumber(end)) errs.push(FieldError.invalid(`${path}.endPort`, end, portRange));
    }
  } else {
    if (end !== undefined)
      errs.push(FieldError.invalid(`${path}.endPort`, end, 'may not be specified when `port` is non-numeric'));
    for (const msg of portNameErrors(String(value))) errs.push(FieldError.invalid(`${path}.port`, value, msg));
  }
  return errs;
}
