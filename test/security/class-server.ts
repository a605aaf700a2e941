import { mkdtemp, readdir, readlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionInfo } from '../../src/contracts/protocol.ts';
import { LabClient, TerminalClient } from '../helpers/lab-client.ts';
import { startServer, type RunningServer } from '../helpers/server.ts';

/**
 * The adversarial suite's fixture: `npm start` as root on loopback (server/main.ts, the same
 * entry), learners talking to it over HTTP and WebSockets like browsers, and a shell helper
 * that runs one command in a learner's terminal and returns its output and exit code.
 */

export const isRoot = process.getuid?.() === 0;

/** The data folder a class server keeps sessions in (one per suite file). */
export async function classDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'security-suite-'));
}

export async function startClassServer(
  dataDir: string,
  flags: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningServer> {
  return startServer(['--data-dir', dataDir, ...flags], env);
}

const prompt = /learner:[^\n$]*\$ /g;
// eslint-disable-next-line no-control-regex -- terminal escape sequences are control characters
const ansi = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r/g;

/** A learner's terminal, driven command by command. */
export class Shell {
  readonly terminal: TerminalClient;
  private n = 0;

  private constructor(terminal: TerminalClient) {
    this.terminal = terminal;
  }

  static async open(base: string, info: SessionInfo, name = 'main'): Promise<Shell> {
    const terminal = TerminalClient.for(base, info, name);
    await terminal.opened;
    await terminal.waitFor(/\$ $/, 20_000);
    // Without echo, a command's output is only what it prints (and the prompts, removed below).
    terminal.run('stty -echo');
    await terminal.waitFor(/stty -echo[^]*\$ $/, 20_000);
    return new Shell(terminal);
  }

  /** Runs one command line; markers printed around it delimit its output (their echo never matches). */
  async exec(command: string, timeoutMs = 30_000): Promise<{ out: string; code: number }> {
    const n = ++this.n;
    const from = this.terminal.text.length;
    // Three lines, so the command is logged as typed (command checks match whole lines).
    this.terminal.run(`printf '__BEGIN_%d__\\n' ${n}`);
    this.terminal.run(command);
    this.terminal.run(`printf '__END_%d_%d__\\n' ${n} $?`);
    const end = new RegExp(`__END_${n}_(\\d+)__`);
    await this.terminal.waitFor(end, timeoutMs);
    const text = this.terminal.text.slice(from).replace(ansi, '');
    const begin = text.indexOf(`__BEGIN_${n}__\n`);
    const match = end.exec(text)!;
    const out = text.slice(begin + `__BEGIN_${n}__\n`.length, match.index).replace(prompt, '');
    return { out, code: Number(match[1]) };
  }

  close(): Promise<void> {
    return this.terminal.close();
  }
}

/** A learner with a ready session and an open shell. */
export interface Learner {
  client: LabClient;
  info: SessionInfo;
  shell: Shell;
}

export async function learner(base: string, labId = 'security-basics'): Promise<Learner> {
  const client = new LabClient(base);
  const info = await client.start(labId);
  return { client, info, shell: await Shell.open(base, info) };
}

/** A raw HTTP request with exactly the headers given (fetch forbids setting Host). */
export function rawRequest(
  base: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: {
          ...options.headers,
          ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}),
        },
        setHost: !options.headers || !Object.keys(options.headers).some((h) => h.toLowerCase() === 'host'),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** TCP ports a process listens on (from its socket fds and /proc/net/tcp*). */
export async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // st 0A = LISTEN; f[9] is the socket inode.
      if (f[3] === '0A' && inodes.has(f[9] ?? '')) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

/** Open file descriptors of a process. */
export async function fdCount(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** The API server port in a session's server-side kubeconfig. */
export function clusterPort(dataDir: string, sessionId: string): number {
  const kubeconfig = readFileSync(join(dataDir, 'sessions', sessionId, 'kubeconfig'), 'utf8');
  return Number(/server: https:\/\/[^:]+:(\d+)/.exec(kubeconfig)![1]);
}

/**
 * A terminal WebSocket that never reads: the handshake by hand on a raw TCP socket, one
 * masked text frame (the command), then the socket is paused until `drain()`.
 */
export async function stalledTerminal(
  base: string,
  info: SessionInfo,
  name: string,
  command: string,
): Promise<{ drain: () => Promise<number> }> {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(
    `GET /api/sessions/${info.id}/terminals/${name}?token=${info.token} HTTP/1.1\r\n` +
      `Host: ${url.host}\r\nOrigin: ${url.origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      received += chunk.length;
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(head.split('\r\n')[0]));
      else resolve();
    };
    socket.on('data', onData);
  });
  const payload = Buffer.from(JSON.stringify({ type: 'data', data: `${command}\r` }));
  const mask = randomBytes(4);
  const header =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  socket.write(Buffer.concat([header, mask, payload.map((b, i) => b ^ mask[i % 4]!)]));
  socket.pause();
  return {
    drain: () =>
      new Promise<number>((resolve) => {
        socket.on('data', (chunk: Buffer) => (received += chunk.length));
        socket.once('close', () => resolve(received));
        socket.resume();
      }),
  };
}
