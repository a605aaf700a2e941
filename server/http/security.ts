import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { isLearnerUid } from '../lab/isolation/processes.ts';

/**
 * The web front door's rules: which Host names this server answers (DNS rebinding),
 * which Origins may change state (CSRF), who counts as an administrator, and rate limits.
 */
export interface WebSecurity {
  /** host[:port] values a request may carry besides loopback names; "*" allows any. */
  allowedHosts: Set<string>;
  /** Origins ("https://labs.example.org") trusted besides the request's own. */
  allowedOrigins: Set<string>;
  /** Cookies get Secure: the public URL is https (or a trusted proxy says so). */
  secureCookies: boolean;
  /** X-Forwarded-For/-Proto come from a reverse proxy on loopback and are believed. */
  trustProxy: boolean;
  /** Bearer token for /metrics and /api/info from anywhere but loopback. */
  adminToken?: string;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

/** Splits "name:port", "[v6]:port" and bare names; the name comes back lower-case. */
export function splitHost(value: string): { name: string; port?: string } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(value.trim().toLowerCase());
  if (!m) return { name: '' };
  return { name: m[1]!, port: m[2] };
}

/** The Host values a server bound to `bindHost` with these public URLs answers to. */
export function webSecurity(options: {
  bindHost: string;
  publicUrls?: string[];
  extraHosts?: string[];
  trustProxy?: boolean;
  adminToken?: string;
}): WebSecurity {
  const allowedHosts = new Set<string>();
  const allowedOrigins = new Set<string>();
  let secureCookies = false;
  for (const raw of options.publicUrls ?? []) {
    const url = new URL(raw);
    allowedHosts.add(url.host.toLowerCase());
    allowedOrigins.add(url.origin);
    if (url.protocol === 'https:') secureCookies = true;
  }
  for (const h of options.extraHosts ?? []) allowedHosts.add(h.toLowerCase());
  const bind = options.bindHost.toLowerCase();
  if (bind === '0.0.0.0' || bind === '::') {
    // Every address of this machine (a class reaching it by IP on the LAN).
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) allowedHosts.add(a.family === 'IPv6' ? `[${a.address}]` : a.address);
  } else if (!isLoopback(bind)) allowedHosts.add(bind.includes(':') ? `[${bind}]` : bind);
  return {
    allowedHosts,
    allowedOrigins,
    secureCookies,
    trustProxy: options.trustProxy ?? false,
    adminToken: options.adminToken,
  };
}

/** Loopback names (any port), or an allowed host (with its port, or bare when listed bare). */
export function hostAllowed(host: string | undefined, security: WebSecurity): boolean {
  if (!host) return false;
  const { name, port } = splitHost(host);
  if (!name) return false;
  if (isLoopback(name)) return true;
  if (security.allowedHosts.has('*')) return true;
  return security.allowedHosts.has(port ? `${name}:${port}` : name) || security.allowedHosts.has(name);
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-origin protection for state-changing requests (the Fetch Metadata approach):
 * browsers say where a request comes from in Sec-Fetch-Site, older ones in Origin.
 * Requests with neither come from non-browser clients, which cannot ride a learner's cookie.
 */
export function crossOriginRefusal(req: IncomingMessage, security: WebSecurity): string | undefined {
  if (safeMethods.has(req.method ?? 'GET')) return undefined;
  const origin = req.headers.origin;
  if (origin && security.allowedOrigins.has(origin)) return undefined;
  const site = req.headers['sec-fetch-site'];
  if (site) return site === 'same-origin' || site === 'none' ? undefined : `cross-site request (${site})`;
  if (!origin) return undefined;
  return sameOrigin(origin, req.headers.host) ? undefined : `cross-origin request from ${origin}`;
}

/** Whether an Origin names this very server (its scheme-less host equals Host). */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** The client's address: the socket's, or the first X-Forwarded-For hop behind a trusted loopback proxy. */
export function clientAddress(req: IncomingMessage, security: WebSecurity): string {
  const socket = req.socket.remoteAddress ?? '';
  const forwarded = req.headers['x-forwarded-for'];
  if (security.trustProxy && isLoopbackAddress(socket) && typeof forwarded === 'string')
    return forwarded.split(',')[0]!.trim() || socket;
  return socket;
}

/** https as seen by the browser: the public URL, or a trusted proxy's X-Forwarded-Proto. */
export function viaHttps(req: IncomingMessage, security: WebSecurity): boolean {
  if (security.secureCookies) return true;
  return security.trustProxy && req.headers['x-forwarded-proto'] === 'https';
}

export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * The uid owning the client end of a loopback TCP connection (from /proc/net/tcp*), so a
 * learner's shell on this machine is not mistaken for the administrator's browser.
 */
export function loopbackPeerUid(req: IncomingMessage): number | undefined {
  const { remotePort, localPort } = req.socket;
  if (!remotePort || !localPort) return undefined;
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address rem_address st ... uid: the client socket's local port is our remote port.
      if (f[1]?.endsWith(`:${hex(remotePort)}`) && f[2]?.endsWith(`:${hex(localPort)}`)) return Number(f[7]);
    }
  }
  return undefined;
}

/** A request from a learner's sandbox (a learner uid on loopback). */
export function fromLearnerSandbox(req: IncomingMessage): boolean {
  if (!isLoopbackAddress(req.socket.remoteAddress ?? '')) return false;
  const uid = loopbackPeerUid(req);
  return uid !== undefined && isLearnerUid(uid);
}

/** Admin endpoints: the admin token, or loopback from anyone but a learner sandbox. */
export function isAdmin(req: IncomingMessage, security: WebSecurity): boolean {
  const auth = req.headers.authorization;
  if (security.adminToken && auth === `Bearer ${security.adminToken}`) return true;
  if (security.trustProxy && req.headers['x-forwarded-for']) return false;
  return isLoopbackAddress(req.socket.remoteAddress ?? '') && !fromLearnerSandbox(req);
}

/** Token buckets per key: `burst` at once, then `perMinute` refill. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;
  private readonly perMinute: number;

  constructor(burst: number, perMinute: number) {
    this.burst = burst;
    this.perMinute = perMinute;
  }

  /** Takes a token; returns the seconds to wait when there is none. */
  take(key: string, now = Date.now()): number | undefined {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 50_000) this.prune(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.ceil(((1 - bucket.tokens) / this.perMinute) * 60);
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets)
      if (b.tokens + ((now - b.at) / 60_000) * this.perMinute >= this.burst) this.buckets.delete(key);
  }
}

/** Counts open long-lived connections (SSE, WebSockets) per key, refusing beyond a cap. */
export class ConnectionCounter {
  private readonly open = new Map<string, number>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** A release function when under the cap, undefined when the key is at it. */
  acquire(key: string): (() => void) | undefined {
    const n = this.open.get(key) ?? 0;
    if (n >= this.max) return undefined;
    this.open.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    };
  }
}
