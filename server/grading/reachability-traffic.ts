import { WebSocket } from 'ws';
import type { KubeClient, KubeEndpoint } from '../kube/client.ts';
import type { Protocol } from '../netpol/connections.ts';

/**
 * Real traffic for the reachability check on a real cluster (kind): an ephemeral busybox
 * container joins the source pod (same network namespace, so the same policies apply to it)
 * and runs `nc -z` through the API's exec stream. Its output is read as busybox prints it.
 */

export const probeContainer = 'reachability-probe';
export const probeImage = 'busybox:1.36';

export type TrafficOutcome = 'connected' | 'refused' | 'timeout' | 'dns' | 'error';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** How busybox nc -z reported the attempt (recorded outputs in test/networking/reachability-traffic.test.ts). */
export function interpretProbe(result: ExecResult): TrafficOutcome {
  const text = `${result.stdout}\n${result.stderr}`;
  if (result.exitCode === 0) return 'connected';
  if (/bad address|can't resolve|Name does not resolve/i.test(text)) return 'dns';
  if (/Connection refused/i.test(text)) return 'refused';
  if (/timed out|timeout/i.test(text) || result.exitCode === 1) return 'timeout';
  return 'error';
}

/** Runs a command in a pod's container over the v5.channel.k8s.io WebSocket, as kubectl exec does. */
export function execInPod(
  endpoint: KubeEndpoint,
  pod: { namespace: string; name: string },
  container: string,
  command: string[],
  timeoutMs: number,
): Promise<ExecResult> {
  const url = new URL(
    `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}/exec`,
    endpoint.server.replace(/^http/, 'ws'),
  );
  url.searchParams.set('container', container);
  for (const part of command) url.searchParams.append('command', part);
  url.searchParams.set('stdout', 'true');
  url.searchParams.set('stderr', 'true');
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
      ca: endpoint.caPem || undefined,
      cert: endpoint.certPem,
      key: endpoint.keyPem,
      headers: endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {},
    });
    let stdout = '';
    let stderr = '';
    let status = '';
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`exec in ${pod.namespace}/${pod.name} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('message', (data: Buffer) => {
      const channel = data[0];
      const text = data.subarray(1).toString('utf8');
      if (channel === 1) stdout += text;
      else if (channel === 2) stderr += text;
      else if (channel === 3) status += text;
    });
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => reject(new Error(`exec refused: HTTP ${res.statusCode} ${body.slice(0, 300)}`)));
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      let exitCode = 0;
      if (status) {
        const parsed = JSON.parse(status) as { status?: string; details?: { causes?: Array<{ message?: string }> } };
        if (parsed.status !== 'Success') exitCode = Number(parsed.details?.causes?.[0]?.message ?? 1) || 1;
      }
      resolve({ exitCode, stdout, stderr });
    });
  });
}

type Obj = Record<string, unknown>;

/** Adds the probe container to the pod once (ephemeral containers cannot be removed) and waits for it to run. */
export async function ensureProbe(
  api: KubeClient,
  pod: { namespace: string; name: string },
  signal: AbortSignal,
): Promise<void> {
  const path = `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`;
  const running = async () => {
    const res = await api.send('GET', path);
    const status = (res.json().status ?? {}) as Obj;
    const found = ((status.ephemeralContainerStatuses as Obj[] | undefined) ?? []).find(
      (c) => c.name === probeContainer,
    );
    return {
      present: found !== undefined || res.text.includes(`"name":"${probeContainer}"`),
      running: Boolean((found?.state as Obj | undefined)?.running),
    };
  };
  let state = await running();
  if (!state.present) {
    const patch = {
      spec: {
        ephemeralContainers: [
          {
            name: probeContainer,
            image: probeImage,
            imagePullPolicy: 'IfNotPresent',
            command: ['sleep', '86400'],
            // Restricted-compliant, so Pod Security admits it in any namespace.
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65534,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
              seccompProfile: { type: 'RuntimeDefault' },
            },
          },
        ],
      },
    };
    const res = await api.send('PATCH', `${path}/ephemeralcontainers`, JSON.stringify(patch), {
      'content-type': 'application/strategic-merge-patch+json',
    });
    if (res.status >= 300) throw new Error(`adding the probe container: ${res.status} ${res.text.slice(0, 300)}`);
  }
  while (!state.running) {
    if (signal.aborted) throw new Error('the probe container did not start in time');
    await new Promise((r) => setTimeout(r, 500));
    state = await running();
  }
}

/** One real connection attempt from the source pod to host:port. */
export async function sendTraffic(
  api: KubeClient,
  endpoint: KubeEndpoint,
  source: { namespace: string; name: string },
  host: string,
  port: number,
  protocol: Protocol,
  waitSeconds: number,
  signal: AbortSignal,
): Promise<{ outcome: TrafficOutcome; output: string }> {
  await ensureProbe(api, source, signal);
  const command = [
    'nc',
    '-z',
    '-v',
    '-w',
    String(waitSeconds),
    ...(protocol === 'UDP' ? ['-u'] : []),
    host,
    String(port),
  ];
  const result = await execInPod(endpoint, source, probeContainer, command, (waitSeconds + 20) * 1000);
  return { outcome: interpretProbe(result), output: `${result.stdout}${result.stderr}`.trim() };
}
