import type { WebSocket } from 'ws';
import type { KubeObject } from '../storage/types.ts';
import { execOnce, newShellState, runLine } from '../runtime/shell.ts';
import { idOf, type PodContext } from '../runtime/tools.ts';
import type { ClusterServices } from './context.ts';

/**
 * pods/exec over the Kubernetes streaming protocol on a WebSocket (v5.channel.k8s.io, v4 and the
 * base channel.k8s.io): each binary message is one channel byte then data. 0 stdin, 1 stdout,
 * 2 stderr, 3 the exit status (a metav1.Status from v4 on), 4 terminal resize, 255 (v5) a
 * stream close. The command runs in the simulated pod's shell (runtime/shell.ts); with a TTY,
 * this end is the line discipline a pty would be: echo, backspace, Ctrl-C, Ctrl-D.
 */

export interface ExecRequest {
  pod: KubeObject;
  container: string;
  command: string[];
  tty: boolean;
  stdin: boolean;
}

const shells = new Set(['sh', 'bash', 'ash', '/bin/sh', '/bin/bash', '/bin/ash', '/bin/busybox']);

function statusFrame(protocol: string, exitCode: number, command: string[]): string {
  if (protocol === 'channel.k8s.io') return exitCode === 0 ? '' : `command terminated with exit code ${exitCode}`;
  if (exitCode === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  });
}

function podContext(cluster: ClusterServices, request: ExecRequest, signal: AbortSignal): PodContext {
  const { pod } = request;
  return {
    pod,
    container: request.container,
    store: cluster.store,
    network: cluster.network,
    signal,
    token: async () => {
      const namespace = pod.metadata.namespace ?? '';
      const saName = String((pod.spec as Record<string, unknown> | undefined)?.serviceAccountName ?? 'default');
      const serviceAccount = cluster.store.get('serviceaccounts', namespace, saName);
      if (!serviceAccount) return undefined;
      const nodeName = (pod.spec as Record<string, unknown> | undefined)?.nodeName;
      const node = typeof nodeName === 'string' ? cluster.store.get('nodes', '', nodeName) : undefined;
      const { token } = await cluster.tokens.issue({
        serviceAccount,
        audiences: cluster.tokens.apiAudiences,
        expirationSeconds: 3607,
        pod,
        ...(node ? { node } : {}),
      });
      return token;
    },
  };
}

export function serveExec(ws: WebSocket, request: ExecRequest, cluster: ClusterServices): void {
  const protocol = ws.protocol || 'channel.k8s.io';
  const abort = new AbortController();
  const stopTracking = cluster.trackLongRunning(() => {
    abort.abort();
    ws.terminate();
  });
  ws.on('close', () => {
    abort.abort();
    stopTracking();
  });
  const send = (channel: number, text: string) => {
    if (!text || ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(text)]));
  };
  // With a TTY, stderr is the terminal too and lines end in CRLF.
  const out = (text: string) => send(1, request.tty ? text.replace(/\r?\n/g, '\r\n') : text);
  const err = (text: string) => (request.tty ? out(text) : send(2, text));
  const finish = (exitCode: number) => {
    // kubectl may return as soon as the status arrives, before it has copied stdout out
    // (kubernetes/kubernetes#124571): give its copy a moment, as a real process exit would.
    setTimeout(() => {
      if (ws.readyState !== ws.OPEN) return;
      const status = statusFrame(protocol, exitCode, request.command);
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(status)]));
      ws.close(1000);
    }, 30);
  };
  const ctx = podContext(cluster, request, abort.signal);
  const interactive =
    request.tty && request.stdin && shells.has(request.command[0] ?? '') && request.command.length === 1;
  if (!interactive) {
    void execOnce(request.command, ctx).then((result) => {
      out(result.stdout);
      err(result.stderr);
      finish(result.exitCode);
    });
    return;
  }
  runInteractive(ws, ctx, out, finish);
}

function runInteractive(
  ws: WebSocket,
  ctx: PodContext,
  out: (text: string) => void,
  finish: (exitCode: number) => void,
): void {
  const state = newShellState(ctx);
  const root = idOf(ctx).stdout.startsWith('uid=0(');
  const prompt = () => out(root ? '/ # ' : '/ $ ');
  let line = '';
  let running: AbortController | undefined;
  let pending = '';
  out('(embedded cluster: a simulated shell, not a container; type help)\n');
  prompt();
  const execute = async (text: string) => {
    running = new AbortController();
    const signal = AbortSignal.any([running.signal, ctx.signal!]);
    const result = await runLine(text, { ...ctx, signal }, state);
    running = undefined;
    out(result.stdout);
    out(result.stderr);
    if (state.exited) {
      finish(state.lastExit);
      return;
    }
    prompt();
    if (pending) {
      const rest = pending;
      pending = '';
      onInput(rest);
    }
  };
  const onInput = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (running) {
        if (ch === '\x03') {
          running.abort();
          out('^C\n');
        } else pending += ch;
        continue;
      }
      if (ch === '\r' || ch === '\n') {
        if (ch === '\n' && text[i - 1] === '\r') continue;
        out('\n');
        const command = line;
        line = '';
        pending = text.slice(i + 1);
        void execute(command);
        return;
      } else if (ch === '\x7f' || ch === '\b') {
        if (line) {
          line = line.slice(0, -1);
          out('\b \b');
        }
      } else if (ch === '\x03') {
        line = '';
        out('^C\n');
        prompt();
      } else if (ch === '\x04') {
        if (!line) {
          out('\n');
          finish(state.lastExit);
          return;
        }
      } else if (ch === '\x1b') {
        // Arrow keys and other escape sequences: no history or cursor movement in this shell.
        const m = /^(\[[0-9;]*[A-Za-z~]|O[A-Za-z])/.exec(text.slice(i + 1));
        if (m) i += m[0].length;
      } else if (ch >= ' ') {
        line += ch;
        out(ch);
      }
    }
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    const channel = data[0];
    if (channel === 0) onInput(data.subarray(1).toString('utf8'));
    // Channel 4 (resize) needs nothing: output is not laid out. 255 (v5 close) ends stdin.
    if (channel === 255 && data[1] === 0 && !running) finish(state.lastExit);
  });
}
