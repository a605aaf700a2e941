import * as pty from 'node-pty';
import type { WebSocket } from 'ws';
import { parseClientMessage, terminalLimits, type ServerMessage } from '../../src/contracts/protocol.ts';
import { sandboxCommand } from './sandbox.ts';
import type { Workspace } from './workspace.ts';

/** Writes big pastes to the shell in slices, so one message cannot stall the pty. */
const writeSlice = 4096;

/**
 * One shell in a session's workspace. Output is numbered by character offset and kept
 * in a scrollback buffer, so a browser that reconnects with `since` gets exactly what
 * it missed. Several browser sockets may watch one terminal.
 */
export class Terminal {
  readonly name: string;
  private readonly proc: pty.IPty;
  private scrollback = '';
  /** Offset of scrollback[0] in the output stream. */
  private scrollbackStart = 0;
  private readonly sockets = new Set<WebSocket>();
  exited: number | undefined;
  private readonly onExitCallbacks: Array<(code: number) => void> = [];

  constructor(name: string, ws: Workspace, env: Record<string, string>, bwrap?: string) {
    this.name = name;
    const shell = ['bash', '--noprofile', '--rcfile', ws.bashrc, '-i'];
    const command = bwrap ? sandboxCommand(bwrap, ws, shell) : { file: shell[0]!, args: shell.slice(1) };
    this.proc = pty.spawn(command.file, command.args, {
      name: 'xterm-256color',
      cols: 100,
      rows: 30,
      cwd: ws.home,
      env: { ...env, HOME: ws.home, KUBECONFIG: ws.kubeconfig, TERM: 'xterm-256color', LANG: env.LANG ?? 'C.UTF-8' },
    });
    this.proc.onData((data) => this.output(data));
    this.proc.onExit(({ exitCode }) => {
      this.exited = exitCode;
      this.broadcast({ type: 'exit', code: exitCode });
      for (const cb of this.onExitCallbacks) cb(exitCode);
    });
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Total characters produced so far. */
  get seq(): number {
    return this.scrollbackStart + this.scrollback.length;
  }

  onExit(cb: (code: number) => void): void {
    this.onExitCallbacks.push(cb);
  }

  private output(data: string): void {
    const seq = this.seq;
    this.scrollback += data;
    if (this.scrollback.length > terminalLimits.scrollbackChars) {
      const drop = this.scrollback.length - terminalLimits.scrollbackChars;
      this.scrollback = this.scrollback.slice(drop);
      this.scrollbackStart += drop;
    }
    this.broadcast({ type: 'data', seq, data });
  }

  private broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const socket of this.sockets) if (socket.readyState === socket.OPEN) socket.send(text);
  }

  /** Output from `since` on (all that is still kept if `since` is older). */
  replay(since: number): { seq: number; data: string } {
    const from = Math.max(since, this.scrollbackStart);
    return { seq: from, data: this.scrollback.slice(from - this.scrollbackStart) };
  }

  write(data: string): void {
    if (this.exited !== undefined) return;
    for (let i = 0; i < data.length; i += writeSlice) this.proc.write(data.slice(i, i + writeSlice));
  }

  resize(cols: number, rows: number): void {
    if (this.exited === undefined) this.proc.resize(cols, rows);
  }

  /** Connects a browser socket, replaying from `since`. */
  attach(socket: WebSocket, since: number): void {
    this.sockets.add(socket);
    const send = (m: ServerMessage) => socket.readyState === socket.OPEN && socket.send(JSON.stringify(m));
    send({ type: 'hello', terminal: this.name, seq: this.seq });
    const missed = this.replay(Number.isFinite(since) ? since : 0);
    if (missed.data) send({ type: 'data', seq: missed.seq, data: missed.data });
    if (this.exited !== undefined) send({ type: 'exit', code: this.exited });
    socket.on('message', (raw, isBinary) => {
      if (isBinary) {
        send({ type: 'error', message: 'malformed frame: binary frames are not accepted' });
        return;
      }
      const message = parseClientMessage(raw.toString());
      if ('error' in message) send({ type: 'error', message: message.error });
      else if (message.type === 'data') this.write(message.data);
      else if (message.type === 'resize') this.resize(message.cols, message.rows);
      else send({ type: 'pong', t: message.t });
    });
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => this.sockets.delete(socket));
  }

  /** Kills the shell and everything it started (its process group). */
  kill(): void {
    for (const socket of this.sockets) socket.close(1001, 'session ended');
    this.sockets.clear();
    if (this.exited !== undefined) return;
    try {
      process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      /* group already gone */
    }
    try {
      this.proc.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
