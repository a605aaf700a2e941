import { randomBytes } from 'node:crypto';
import * as pty from 'node-pty';
import type { WebSocket } from 'ws';
import { parseClientMessage, terminalClose, terminalLimits, type ServerMessage } from '../../src/contracts/protocol.ts';

/** Writes big pastes to the shell in slices, so one message cannot stall the pty. */
const writeSlice = 4096;

/**
 * A browser that stops reading is dropped once this much output waits for it, instead of
 * the server buffering without end; it reconnects with `since` and gets the scrollback.
 */
export const maxBufferedBytes = 1024 * 1024;

export interface ShellCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/**
 * One shell in a session's workspace. Output is numbered by character offset and kept
 * in a scrollback buffer, so a browser that reconnects with `since` gets exactly what
 * it missed. Several browser sockets may watch one terminal.
 */
export class Terminal {
  readonly name: string;
  /** Names this shell process; browsers compare it to notice a replaced shell. */
  readonly shell = randomBytes(6).toString('hex');
  private readonly proc: pty.IPty;
  private scrollback = '';
  /** Offset of scrollback[0] in the output stream. */
  private scrollbackStart = 0;
  private readonly sockets = new Set<WebSocket>();
  exited: number | undefined;
  private readonly onExitCallbacks: Array<(code: number) => void> = [];

  /** When the learner last typed (idle TTLs count terminal activity). */
  lastInput = Date.now();

  constructor(name: string, command: ShellCommand) {
    this.name = name;
    this.proc = pty.spawn(command.file, command.args, {
      name: 'xterm-256color',
      cols: 100,
      rows: 30,
      cwd: command.cwd,
      env: { ...command.env, TERM: 'xterm-256color', LANG: command.env.LANG ?? 'C.UTF-8' },
    });
    this.proc.onData((data) => this.output(data));
    this.proc.onExit(({ exitCode }) => {
      this.exited = exitCode;
      this.broadcast({ type: 'exit', code: exitCode });
      // The next connection starts a new shell; the browser reconnects when the learner types.
      for (const socket of this.sockets) socket.close(terminalClose.exited, 'shell exited');
      this.sockets.clear();
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

  /** A line from the lab server (a limit was hit), shown in the terminal like output. */
  notice(text: string): void {
    this.output(`\r\n\x1b[1;33m[lab] ${text}\x1b[0m\r\n`);
  }

  private broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const socket of this.sockets) send(socket, text);
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

  /**
   * Connects a browser socket, replaying from `since`. A browser that last saw another shell
   * (`shell` differs, or it is ahead of this one: the server restarted) gets everything.
   */
  attach(socket: WebSocket, since: number, shell?: string): void {
    if ((shell && shell !== this.shell) || since > this.seq) since = 0;
    this.sockets.add(socket);
    const reply = (m: ServerMessage) => send(socket, JSON.stringify(m));
    reply({ type: 'hello', terminal: this.name, shell: this.shell, seq: this.seq });
    const missed = this.replay(Number.isFinite(since) ? since : 0);
    if (missed.data) reply({ type: 'data', seq: missed.seq, data: missed.data });
    if (this.exited !== undefined) {
      reply({ type: 'exit', code: this.exited });
      socket.close(terminalClose.exited, 'shell exited');
      return;
    }
    socket.on('message', (raw, isBinary) => {
      if (isBinary) {
        reply({ type: 'error', message: 'malformed frame: binary frames are not accepted' });
        return;
      }
      const message = parseClientMessage(raw.toString());
      if ('error' in message) reply({ type: 'error', message: message.error });
      else if (message.type === 'data') {
        this.lastInput = Date.now();
        this.write(message.data);
      } else if (message.type === 'resize') this.resize(message.cols, message.rows);
      else reply({ type: 'pong', t: message.t });
    });
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => this.sockets.delete(socket));
  }

  /**
   * Kills the shell and everything it started (its process group). `code` tells watching
   * browsers why (see terminalClose); 1001 (server going away) makes them reconnect.
   */
  kill(code: number = 1001, reason = 'server shutting down'): void {
    for (const socket of this.sockets) socket.close(code, reason);
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

/** Sends a frame, or drops a socket whose reader has stalled (see maxBufferedBytes). */
function send(socket: WebSocket, text: string): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > maxBufferedBytes) {
    socket.terminate();
    return;
  }
  socket.send(text);
}
