import { isIP } from 'node:net';
import type { Store } from '../storage/store.ts';
import type { KubeObject } from '../storage/types.ts';
import { clusterDnsIp } from '../registry/resources/service-allocation.ts';
import { resolvConf, resolveFromPod } from './dns.ts';
import { kubernetesServiceIpAddress } from './addresses.ts';
import { metadataAnswer } from './metadata.ts';
import { metadataIp, type Delivery, type PodNetwork } from './pod-network.ts';

/**
 * The networking tools of a simulated pod, answering as busybox's (wget, nc, nslookup) and
 * curl's do. They resolve names with the cluster DNS and connect through PodNetwork, so
 * NetworkPolicies decide: a dropped connection waits out the deadline, as with a real CNI.
 */

type Obj = Record<string, unknown>;

export interface PodContext {
  pod: KubeObject;
  container: string;
  store: Store;
  network: PodNetwork;
  /** A bound ServiceAccount token for the pod, as the kubelet's projected volume holds. */
  token: () => Promise<string | undefined>;
  signal?: AbortSignal;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Waits at most this long where the real tool would wait minutes (no -T, no --max-time). */
export const maxWaitSeconds = 10;
/** The resolver's timeout (musl: 5 s per try). */
const dnsTimeoutSeconds = 5;

export const simulatedTools = ['wget', 'curl', 'nc', 'nslookup', 'cat', 'hostname', 'env', 'id', 'echo', 'sleep'];
export const kindNote =
  'this is a simulated pod of the embedded cluster: it offers wget, curl, nc, nslookup, cat, hostname, env, id, echo and sleep; anything else needs a real container (use the kind backend)';

const ok = (stdout = '', stderr = ''): ToolResult => ({ stdout, stderr, exitCode: 0 });
const fail = (stderr: string, exitCode = 1, stdout = ''): ToolResult => ({ stdout, stderr, exitCode });

function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, Math.max(0, seconds) * 1000);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

type Resolved = { ok: true; ip: string; name: string } | { ok: false; timedOut: boolean };

/** Resolves a host as the pod would: literal IPs as they are, names through cluster DNS (which policies may block). */
async function resolveHost(ctx: PodContext, host: string, deadline?: number): Promise<Resolved> {
  if (isIP(host)) return { ok: true, ip: host, name: host };
  if (host === 'metadata.google.internal' || host === 'metadata') return { ok: true, ip: metadataIp, name: host };
  if ((ctx.pod.spec as Obj | undefined)?.dnsPolicy === 'Default') return { ok: false, timedOut: false };
  const reach = ctx.network.dnsReachable(ctx.pod);
  if (!reach.ok) {
    await sleep(Math.min(deadline ?? dnsTimeoutSeconds, dnsTimeoutSeconds), ctx.signal);
    return { ok: false, timedOut: true };
  }
  const answer = resolveFromPod(ctx.store, ctx.pod.metadata.namespace ?? 'default', host);
  if (!answer) return { ok: false, timedOut: false };
  return { ok: true, ip: answer.addresses[0]!, name: answer.name };
}

interface Url {
  scheme: string;
  host: string;
  port: number;
  path: string;
}

function parseUrl(text: string): Url | undefined {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `http://${text}`;
  try {
    const url = new URL(withScheme);
    const scheme = url.protocol.replace(':', '');
    const port = url.port ? Number(url.port) : scheme === 'https' ? 443 : 80;
    return { scheme, host: url.hostname.replace(/^\[|\]$/g, ''), port, path: `${url.pathname}${url.search}` };
  } catch {
    return undefined;
  }
}

/** What the destination's simulated HTTP server sends back. */
function httpAnswer(
  ctx: PodContext,
  delivery: Extract<Delivery, { kind: 'served' | 'metadata' | 'apiserver' }>,
  request: { path: string; agent: string; headers: Record<string, string> },
): { status: number; body: string } | undefined {
  if (delivery.kind === 'metadata') return metadataAnswer(request.path, request.headers);
  if (delivery.kind === 'apiserver') return undefined;
  const pod = delivery.pod;
  const name = pod.metadata.name ?? '';
  const sourceIp = ((ctx.pod.status as Obj | undefined)?.podIP as string | undefined) ?? '-';
  const body =
    request.path === '/' || request.path === '/index.html'
      ? `<!DOCTYPE html>\n<html><head><title>${name}</title></head>\n<body><h1>${name}</h1>\n<p>Simulated server of pod ${pod.metadata.namespace}/${name} (${delivery.ip}:${delivery.port}); the embedded cluster runs no container.</p>\n</body></html>\n`
      : undefined;
  const status = body ? 200 : 404;
  const text = body ?? `<html><body><h1>404 Not Found</h1></body></html>\n`;
  const time = new Date();
  const stamp = time.toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1/$2/$3:$4 +0000');
  ctx.network.record(
    pod,
    `${sourceIp} - - [${stamp}] "GET ${request.path} HTTP/1.1" ${status} ${Buffer.byteLength(text)} "-" "${request.agent}"`,
  );
  return { status, body: text };
}

/** Ports where the simulated server speaks HTTP (anything else answers nothing an HTTP client understands). */
function speaksHttp(port: number): boolean {
  return ![5432, 3306, 6379, 27017, 53, 9153].includes(port);
}

interface Transfer {
  kind: 'ok' | 'timeout' | 'refused' | 'unreachable' | 'bad-address' | 'dns-timeout' | 'reset' | 'tls';
  ip?: string;
  status?: number;
  body?: string;
  waited?: number;
}

async function transfer(
  ctx: PodContext,
  url: Url,
  deadline: number,
  agent: string,
  headers: Record<string, string> = {},
): Promise<Transfer> {
  const resolved = await resolveHost(ctx, url.host, deadline);
  if (!resolved.ok) return { kind: resolved.timedOut ? 'dns-timeout' : 'bad-address' };
  const delivery = ctx.network.connect(ctx.pod, resolved.ip, url.port, 'TCP');
  switch (delivery.kind) {
    case 'dropped':
      await sleep(deadline, ctx.signal);
      return { kind: 'timeout', ip: resolved.ip, waited: deadline };
    case 'refused':
      return { kind: 'refused', ip: resolved.ip };
    case 'unreachable':
      return { kind: 'unreachable', ip: resolved.ip };
    case 'apiserver':
      return { kind: 'tls', ip: resolved.ip };
    default: {
      if (url.scheme === 'https') return { kind: 'tls', ip: resolved.ip };
      if (delivery.kind === 'served' && !speaksHttp(delivery.port)) {
        ctx.network.record(
          delivery.pod,
          `connection from ${String((ctx.pod.status as Obj | undefined)?.podIP ?? '-')} (not HTTP)`,
        );
        return { kind: 'reset', ip: resolved.ip };
      }
      const answer = httpAnswer(ctx, delivery, { path: url.path, agent, headers });
      if (!answer) return { kind: 'reset', ip: resolved.ip };
      return { kind: 'ok', ip: resolved.ip, status: answer.status, body: answer.body };
    }
  }
}

function numberArg(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

async function wget(args: string[], ctx: PodContext): Promise<ToolResult> {
  let quiet = false;
  let output: string | undefined;
  let timeout: number | undefined;
  let spider = false;
  const headers: Record<string, string> = {};
  const urls: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--spider') spider = true;
    else if (a === '--header') {
      const [k, ...v] = (args[++i] ?? '').split(':');
      headers[k!.trim().toLowerCase()] = v.join(':').trim();
    } else if (a.startsWith('--timeout=')) timeout = numberArg(a.slice(10));
    else if (a.startsWith('-') && a.length > 1 && !a.startsWith('--')) {
      for (let j = 1; j < a.length; j++) {
        const flag = a[j];
        if (flag === 'q') quiet = true;
        else if (flag === 'O' || flag === 'T') {
          const value = a.slice(j + 1) || args[++i];
          if (flag === 'O') output = value;
          else timeout = numberArg(value);
          break;
        } else if (flag === 'S' || flag === 's') continue;
        else return fail(`wget: unrecognized option '-${flag}' (simulated wget: -q -O -T -S --spider --header)\n`);
      }
    } else urls.push(a);
  }
  if (urls.length === 0)
    return fail('BusyBox wget (simulated)\n\nUsage: wget [-q] [-O FILE] [-T SEC] [--spider] URL\n');
  const url = parseUrl(urls[0]!);
  if (!url || !['http', 'https'].includes(url.scheme)) return fail(`wget: not an http or ftp url: ${urls[0]}\n`);
  const capped = timeout === undefined;
  const deadline = timeout ?? maxWaitSeconds;
  const result = await transfer(ctx, url, deadline, 'Wget', headers);
  const note = capped ? `(embedded cluster: without -T the simulated wget waits ${maxWaitSeconds} s)\n` : '';
  const connecting = quiet ? '' : `Connecting to ${url.host}${result.ip ? ` (${result.ip}:${url.port})` : ''}\n`;
  switch (result.kind) {
    case 'bad-address':
    case 'dns-timeout':
      return fail(`wget: bad address '${url.host}'\n`);
    case 'timeout':
      return fail(`${connecting}wget: download timed out\n${note}`);
    case 'refused':
      return fail(`${connecting}wget: can't connect to remote host (${result.ip}): Connection refused\n`);
    case 'unreachable':
      return fail(
        `${connecting}wget: can't connect to remote host (${result.ip}): Network is unreachable\n(embedded cluster: no traffic leaves the simulated pod network)\n`,
      );
    case 'reset':
      return fail(`${connecting}wget: error getting response: Connection reset by peer\n`);
    case 'tls':
      return fail(`${connecting}wget: TLS is not simulated: the embedded cluster's pods speak plain HTTP only\n`);
    default:
      break;
  }
  if (result.status !== 200)
    return fail(`${connecting}wget: server returned error: HTTP/1.1 ${result.status} Not Found\n`);
  if (spider) return ok('', quiet ? '' : `${connecting}remote file exists\n`);
  if (output === '-') return ok(result.body, quiet ? '' : `${connecting}writing to stdout\n`);
  const file = output ?? (url.path.split('/').pop() || 'index.html');
  return ok(
    '',
    `${quiet ? '' : `${connecting}saving to '${file}'\n`}(embedded cluster: the simulated pod has no filesystem, so '${file}' is not kept; use -O- to print it)\n`,
  );
}

async function curl(args: string[], ctx: PodContext): Promise<ToolResult> {
  let silent = false;
  let showError = false;
  let head = false;
  let failOnError = false;
  let maxTime: number | undefined;
  const headers: Record<string, string> = {};
  const urls: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-m' || a === '--max-time' || a === '--connect-timeout') maxTime = numberArg(args[++i]);
    else if (a.startsWith('--max-time=') || a.startsWith('--connect-timeout='))
      maxTime = numberArg(a.slice(a.indexOf('=') + 1));
    else if (a === '-H' || a === '--header') {
      const [k, ...v] = (args[++i] ?? '').split(':');
      headers[k!.trim().toLowerCase()] = v.join(':').trim();
    } else if (a === '-o' || a === '-w' || a === '-X' || a === '-A') i++;
    else if (a === '--silent') silent = true;
    else if (a === '--show-error') showError = true;
    else if (a === '--head') head = true;
    else if (a === '--fail') failOnError = true;
    else if (a.startsWith('--')) continue;
    else if (a.startsWith('-') && a.length > 1) {
      for (const flag of a.slice(1)) {
        if (flag === 's') silent = true;
        else if (flag === 'S') showError = true;
        else if (flag === 'I') head = true;
        else if (flag === 'f') failOnError = true;
      }
    } else urls.push(a);
  }
  if (urls.length === 0) return fail("curl: try 'curl --help' for more information\n", 2);
  const url = parseUrl(urls[0]!);
  if (!url) return fail(`curl: (3) URL rejected: Malformed input to a URL function\n`, 3);
  const capped = maxTime === undefined;
  const deadline = maxTime ?? maxWaitSeconds;
  const quietErrors = silent && !showError;
  const err = (code: number, text: string) => fail(quietErrors ? '' : `curl: (${code}) ${text}\n`, code);
  const result = await transfer(ctx, url, deadline, 'curl/8.14.1', headers);
  switch (result.kind) {
    case 'bad-address':
    case 'dns-timeout':
      return err(6, `Could not resolve host: ${url.host}`);
    case 'timeout':
      return fail(
        `${quietErrors ? '' : `curl: (28) Connection timed out after ${Math.round(deadline * 1000) + 1} milliseconds\n`}${capped ? `(embedded cluster: without --max-time the simulated curl waits ${maxWaitSeconds} s)\n` : ''}`,
        28,
      );
    case 'refused':
      return err(7, `Failed to connect to ${url.host} port ${url.port} after 0 ms: Couldn't connect to server`);
    case 'unreachable':
      return err(7, `Failed to connect to ${url.host} port ${url.port} after 0 ms: Network is unreachable`);
    case 'reset':
      return err(56, 'Recv failure: Connection reset by peer');
    case 'tls':
      return err(35, "TLS connect error (the embedded cluster's simulated pods speak plain HTTP only)");
    default:
      break;
  }
  if (failOnError && (result.status ?? 0) >= 400) return err(22, `The requested URL returned error: ${result.status}`);
  if (head)
    return ok(
      `HTTP/1.1 ${result.status} ${result.status === 200 ? 'OK' : 'Not Found'}\r\nContent-Length: ${Buffer.byteLength(result.body ?? '')}\r\n\r\n`,
    );
  return ok(result.body);
}

async function nc(args: string[], ctx: PodContext): Promise<ToolResult> {
  let zero = false;
  let verbose = false;
  let udp = false;
  let wait: number | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const flag = a[j];
        if (flag === 'z') zero = true;
        else if (flag === 'v') verbose = true;
        else if (flag === 'u') udp = true;
        else if (flag === 'w') {
          wait = numberArg(a.slice(j + 1) || args[++i]);
          break;
        } else if (flag === 'n') continue;
        else return fail(`nc: unsupported option -${flag} in the simulated nc (-z -v -u -w SEC)\n`);
      }
    } else rest.push(a);
  }
  const [host, portText] = rest;
  const port = Number(portText);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535)
    return fail('BusyBox nc (simulated)\n\nUsage: nc [-z] [-v] [-u] [-w SEC] HOST PORT\n');
  if (!zero) return fail(`nc: only port checks (-z) are simulated: ${kindNote}\n`);
  const deadline = wait ?? maxWaitSeconds;
  const resolved = await resolveHost(ctx, host, deadline);
  if (!resolved.ok) return fail(`nc: bad address '${host}'\n`);
  const delivery = ctx.network.connect(ctx.pod, resolved.ip, port, udp ? 'UDP' : 'TCP');
  const where = `${host} (${resolved.ip}:${port})`;
  if (delivery.kind === 'dropped') {
    await sleep(deadline, ctx.signal);
    // UDP has no handshake: a dropped datagram looks like an open port to nc -z.
    if (udp) return ok('', verbose ? `${where} open\n` : '');
    return fail(verbose ? `nc: ${where}: Connection timed out\n` : 'nc: timeout\n');
  }
  if (delivery.kind === 'refused' || delivery.kind === 'unreachable')
    return fail(
      `nc: can't connect to remote host (${resolved.ip}): ${delivery.kind === 'refused' ? 'Connection refused' : 'Network is unreachable'}\n`,
    );
  if (delivery.kind === 'served')
    ctx.network.record(
      delivery.pod,
      `connection from ${String((ctx.pod.status as Obj | undefined)?.podIP ?? '-')} to port ${port} (nc -z)`,
    );
  return ok('', verbose ? `${where} open\n` : '');
}

async function nslookup(args: string[], ctx: PodContext): Promise<ToolResult> {
  const name = args.find((a) => !a.startsWith('-'));
  if (!name) return fail('BusyBox nslookup (simulated)\n\nUsage: nslookup HOST\n');
  const header = `Server:\t\t${clusterDnsIp}\nAddress:\t${clusterDnsIp}:53\n\n`;
  if (isIP(name))
    return ok(`${header}** server can't find ${name.split('.').reverse().join('.')}.in-addr.arpa: NXDOMAIN\n\n`);
  const reach = ctx.network.dnsReachable(ctx.pod);
  if (!reach.ok) {
    await sleep(dnsTimeoutSeconds, ctx.signal);
    return fail(';; connection timed out; no servers could be reached\n\n', 1);
  }
  const answer = resolveFromPod(ctx.store, ctx.pod.metadata.namespace ?? 'default', name);
  if (!answer) return fail('', 1, `${header}** server can't find ${name}: NXDOMAIN\n\n`);
  return ok(`${header}Name:\t${answer.name}\n${answer.addresses.map((a) => `Address: ${a}\n`).join('')}\n`);
}

const saDir = '/var/run/secrets/kubernetes.io/serviceaccount';

function container(ctx: PodContext): Obj {
  const spec = (ctx.pod.spec ?? {}) as Obj;
  return ((spec.containers as Obj[] | undefined) ?? []).find((c) => c.name === ctx.container) ?? {};
}

/** Files of configMap, secret and projected volumes the container mounts: mountPath/key → content. */
function mountedFiles(ctx: PodContext): Map<string, () => Promise<string | undefined>> {
  const files = new Map<string, () => Promise<string | undefined>>();
  const spec = (ctx.pod.spec ?? {}) as Obj;
  const namespace = ctx.pod.metadata.namespace ?? '';
  const volumes = (spec.volumes as Obj[] | undefined) ?? [];
  for (const mount of (container(ctx).volumeMounts as Obj[] | undefined) ?? []) {
    const volume = volumes.find((v) => v.name === mount.name);
    if (!volume) continue;
    const base = String(mount.mountPath ?? '').replace(/\/$/, '');
    const sources: Obj[] = volume.projected
      ? (((volume.projected as Obj).sources as Obj[] | undefined) ?? [])
      : [volume];
    for (const source of sources) {
      if (source.serviceAccountToken) {
        files.set(`${base}/${String((source.serviceAccountToken as Obj).path ?? 'token')}`, ctx.token);
      }
      const ref = (source.configMap ?? source.secret) as Obj | undefined;
      if (!ref) continue;
      const isSecret = Boolean(source.secret);
      const objectName = String(ref.name ?? ref.secretName ?? '');
      const object = ctx.store.get(isSecret ? 'secrets' : 'configmaps', namespace, objectName);
      const data = (object?.data ?? {}) as Record<string, string>;
      const items = (ref.items as Obj[] | undefined) ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of items) {
        const raw = data[String(item.key)];
        if (raw === undefined) continue;
        const text = isSecret ? Buffer.from(raw, 'base64').toString('utf8') : raw;
        files.set(`${base}/${String(item.path)}`, async () => text);
      }
    }
  }
  if (volumes.some((v) => String(v.name).startsWith('kube-api-access-'))) {
    files.set(`${saDir}/token`, ctx.token);
    files.set(`${saDir}/namespace`, async () => namespace);
    files.set(`${saDir}/ca.crt`, async () => {
      const cm = ctx.store.get('configmaps', namespace, 'kube-root-ca.crt');
      return (cm?.data as Record<string, string> | undefined)?.['ca.crt'];
    });
  }
  return files;
}

function hostnameOf(pod: KubeObject): string {
  return String((pod.spec as Obj | undefined)?.hostname ?? pod.metadata.name ?? '');
}

async function cat(args: string[], ctx: PodContext): Promise<ToolResult> {
  const files = mountedFiles(ctx);
  const ip = String((ctx.pod.status as Obj | undefined)?.podIP ?? '');
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  for (const path of args) {
    let content: string | undefined;
    if (path === '/etc/resolv.conf') content = resolvConf(ctx.pod);
    else if (path === '/etc/hostname') content = `${hostnameOf(ctx.pod)}\n`;
    else if (path === '/etc/hosts')
      content = `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip}\t${hostnameOf(ctx.pod)}\n`;
    else {
      const file = files.get(path);
      content = file ? await file() : undefined;
    }
    if (content === undefined) {
      stderr += `cat: can't open '${path}': No such file or directory\n`;
      exitCode = 1;
    } else stdout += content;
  }
  if (exitCode !== 0 && args.length)
    stderr += `(embedded cluster: a simulated pod has /etc/resolv.conf, /etc/hosts, /etc/hostname, its ServiceAccount files and the ConfigMap/Secret volumes it mounts; nothing else)\n`;
  return { stdout, stderr, exitCode };
}

/** The container's environment as the kubelet builds it: its env (valueFrom resolved), service links, the API server. */
export function environment(ctx: PodContext): Array<[string, string]> {
  const namespace = ctx.pod.metadata.namespace ?? '';
  const spec = (ctx.pod.spec ?? {}) as Obj;
  const env: Array<[string, string]> = [
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['HOSTNAME', hostnameOf(ctx.pod)],
    ['HOME', '/root'],
  ];
  const c = container(ctx);
  for (const from of (c.envFrom as Obj[] | undefined) ?? []) {
    const ref = (from.configMapRef ?? from.secretRef) as Obj | undefined;
    const isSecret = Boolean(from.secretRef);
    const object = ref ? ctx.store.get(isSecret ? 'secrets' : 'configmaps', namespace, String(ref.name)) : undefined;
    for (const [k, v] of Object.entries((object?.data ?? {}) as Record<string, string>))
      env.push([`${String(from.prefix ?? '')}${k}`, isSecret ? Buffer.from(v, 'base64').toString('utf8') : v]);
  }
  for (const e of (c.env as Obj[] | undefined) ?? []) {
    const name = String(e.name);
    if (typeof e.value === 'string') env.push([name, e.value]);
    const from = e.valueFrom as Obj | undefined;
    const ref = (from?.configMapKeyRef ?? from?.secretKeyRef) as Obj | undefined;
    if (ref) {
      const isSecret = Boolean(from?.secretKeyRef);
      const object = ctx.store.get(isSecret ? 'secrets' : 'configmaps', namespace, String(ref.name));
      const raw = ((object?.data ?? {}) as Record<string, string>)[String(ref.key)];
      if (raw !== undefined) env.push([name, isSecret ? Buffer.from(raw, 'base64').toString('utf8') : raw]);
    }
    const field = from?.fieldRef as Obj | undefined;
    if (field?.fieldPath === 'metadata.name') env.push([name, ctx.pod.metadata.name ?? '']);
    if (field?.fieldPath === 'metadata.namespace') env.push([name, namespace]);
    if (field?.fieldPath === 'status.podIP') env.push([name, String((ctx.pod.status as Obj | undefined)?.podIP ?? '')]);
  }
  if (spec.enableServiceLinks !== false) {
    for (const svc of ctx.store.peek('services', namespace)) {
      const s = (svc.spec ?? {}) as Obj;
      if (typeof s.clusterIP !== 'string' || s.clusterIP === 'None') continue;
      const prefix = String(svc.metadata.name).toUpperCase().replaceAll('-', '_');
      const ports = (s.ports as Obj[] | undefined) ?? [];
      if (!ports[0]) continue;
      env.push([`${prefix}_SERVICE_HOST`, s.clusterIP], [`${prefix}_SERVICE_PORT`, String(ports[0].port)]);
    }
  }
  env.push(
    ['KUBERNETES_SERVICE_HOST', kubernetesServiceIpAddress],
    ['KUBERNETES_SERVICE_PORT', '443'],
    ['KUBERNETES_SERVICE_PORT_HTTPS', '443'],
    ['KUBERNETES_PORT', `tcp://${kubernetesServiceIpAddress}:443`],
  );
  return env;
}

export function idOf(ctx: PodContext, flags: string[] = []): ToolResult {
  const spec = (ctx.pod.spec ?? {}) as Obj;
  const podSc = (spec.securityContext ?? {}) as Obj;
  const sc = (container(ctx).securityContext ?? {}) as Obj;
  const uid = Number(sc.runAsUser ?? podSc.runAsUser ?? 0);
  const gid = Number(sc.runAsGroup ?? podSc.runAsGroup ?? (uid === 0 ? 0 : uid));
  const groups = [gid, ...((podSc.supplementalGroups as number[] | undefined) ?? [])];
  if (podSc.fsGroup !== undefined) groups.push(Number(podSc.fsGroup));
  if (flags.includes('-u')) return ok(`${uid}\n`);
  if (flags.includes('-g')) return ok(`${gid}\n`);
  const named = (n: number) => (n === 0 ? '0(root)' : String(n));
  return ok(`uid=${named(uid)} gid=${named(gid)} groups=${[...new Set(groups)].map(named).join(',')}\n`);
}

/** Runs one simulated command; undefined when the command is not one of the simulated tools. */
export async function runTool(argv: string[], ctx: PodContext): Promise<ToolResult | undefined> {
  const [command, ...args] = argv;
  const name = (command ?? '').split('/').pop();
  switch (name) {
    case 'wget':
      return wget(args, ctx);
    case 'curl':
      return curl(args, ctx);
    case 'nc':
      return nc(args, ctx);
    case 'nslookup':
      return nslookup(args, ctx);
    case 'cat':
      return cat(args, ctx);
    case 'hostname':
      return ok(`${hostnameOf(ctx.pod)}\n`);
    case 'env':
    case 'printenv':
      return ok(
        environment(ctx)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
    case 'id':
      return idOf(ctx, args);
    case 'whoami':
      return idOf(ctx).stdout.startsWith('uid=0(') ? ok('root\n') : fail('whoami: unknown uid\n');
    case 'echo':
      return ok(`${args.join(' ')}\n`);
    case 'true':
      return ok();
    case 'false':
      return fail('');
    case 'sleep': {
      const seconds = Math.min(Number(args[0] ?? 0) || 0, 30);
      await sleep(seconds, ctx.signal);
      return ok();
    }
    default:
      return undefined;
  }
}
