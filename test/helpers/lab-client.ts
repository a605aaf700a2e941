import WebSocket from 'ws';
import type { ServerMessage, SessionInfo } from '../../src/contracts/protocol.ts';

/** A learner talking to the lab server's API: keeps its cookie like a browser. */
export class LabClient {
  readonly base: string;
  cookie = '';
  constructor(base: string) {
    this.base = base.replace(/\/$/, '');
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async start(labId: string): Promise<SessionInfo> {
    const created = await this.request('POST', '/api/sessions', { labId });
    if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.json)}`);
    const id = String(created.json.id);
    for (let i = 0; i < 400; i++) {
      const info = (await this.request('GET', `/api/sessions/${id}`)).json as unknown as SessionInfo;
      if (info.state === 'ready') return info;
      if (info.state === 'failed') throw new Error(`session failed: ${info.error}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('session did not become ready');
  }
}

/** A terminal WebSocket that collects output and can wait for text. */
export class TerminalClient {
  readonly ws: WebSocket;
  text = '';
  /** seq just after the last output received. */
  seq = 0;
  helloSeq = -1;
  readonly messages: ServerMessage[] = [];
  readonly opened: Promise<void>;

  constructor(url: string, origin?: string) {
    this.ws = new WebSocket(url, origin ? { origin } : {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as ServerMessage;
      this.messages.push(m);
      if (m.type === 'hello') this.helloSeq = m.seq;
      if (m.type === 'data') {
        this.text += m.data;
        this.seq = m.seq + m.data.length;
      }
    });
  }

  static for(
    base: string,
    info: SessionInfo,
    name = 'main',
    since = 0,
    origin: string | null = new URL(base).origin,
  ): TerminalClient {
    const wsBase = base.replace(/^http/, 'ws').replace(/\/$/, '');
    return new TerminalClient(
      `${wsBase}/api/sessions/${info.id}/terminals/${name}?token=${info.token}&since=${since}`,
      origin ?? undefined,
    );
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  run(command: string): void {
    this.send({ type: 'data', data: `${command}\r` });
  }

  async waitFor(pattern: RegExp | string, timeoutMs = 10_000): Promise<void> {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      if (typeof pattern === 'string' ? this.text.includes(pattern) : pattern.test(this.text)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting for ${String(pattern)}; got:\n${this.text.slice(-1500)}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
