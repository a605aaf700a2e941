import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { terminalClose, type ClientMessage, type ServerMessage } from '../contracts/protocol.ts';

export type TerminalState = 'open' | 'reconnecting' | 'down' | 'ended';

export interface TerminalCallbacks {
  onState: (state: TerminalState) => void;
  /** The shell behind this tab was replaced: `restarted` after a server restart, else after `exit`. */
  onNewShell: (why: 'restarted' | 'exited') => void;
  /** Learner-facing lines written into the terminal, in the page's locale. */
  text: (
    key: 'terminal.exited' | 'terminal.restarted' | 'terminal.newShell',
    params?: Record<string, number>,
  ) => string;
}

/** Terminal answers (cursor position, device attributes, colours) all start with ESC. */
const isTerminalAnswer = (data: string) => data.startsWith('\x1b');

/**
 * One xterm.js terminal bound to a lab-server WebSocket. It reconnects with backoff and
 * asks for output since the last character it showed, so nothing is lost or repeated.
 */
export class TerminalView {
  readonly name: string;
  readonly element: HTMLElement;
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private socket?: WebSocket;
  private seq = 0;
  private attempts = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private closed = false;
  private readonly url: (since: number, shell: string) => string;
  private readonly callbacks: TerminalCallbacks;
  private pending: string[] = [];
  /** The shell process this view shows (from the server's hello). */
  private shell = '';
  /** Output below this offset is a replay of what an earlier page already answered. */
  private replayEnd = 0;
  /** Replayed chunks still being parsed; answers xterm produces meanwhile are dropped. */
  private replaying = 0;
  /** The shell exited: the next keystroke reconnects, which starts a new shell. */
  private exited = false;
  private exitedShell = false;

  constructor(
    container: HTMLElement,
    name: string,
    url: (since: number, shell: string) => string,
    callbacks: TerminalCallbacks,
  ) {
    this.name = name;
    this.url = url;
    this.callbacks = callbacks;
    this.element = document.createElement('div');
    this.element.className = 'terminal-screen';
    this.element.dataset.terminal = name;
    container.append(this.element);
    this.term = new Terminal({ cursorBlink: true, fontSize: 14, convertEol: false, theme: { background: '#0d1117' } });
    this.term.loadAddon(this.fit);
    // Shift+Tab leaves the terminal, so keyboard users are never trapped in it.
    this.term.attachCustomKeyEventHandler((event) => !(event.key === 'Tab' && event.shiftKey));
    this.term.open(this.element);
    this.fit.fit();
    this.term.onData((data) => {
      // Replayed output may hold queries (vi asks for the cursor position and colours) that the
      // shell's program asked long ago; answering them again would type garbage into the shell.
      if (this.replaying > 0 && isTerminalAnswer(data)) return;
      if (this.exited) {
        this.exited = false;
        this.connect();
        return;
      }
      this.send({ type: 'data', data });
    });
    this.term.onResize(({ cols, rows }) => this.send({ type: 'resize', cols, rows }));
    new ResizeObserver(() => {
      if (this.element.offsetParent) this.fit.fit();
    }).observe(this.element);
    this.connect();
  }

  private send(message: ClientMessage): void {
    const text = JSON.stringify(message);
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(text);
    else if (message.type === 'data') this.pending.push(text);
  }

  /** Types a command (used by the Run buttons). */
  run(command: string): void {
    this.send({ type: 'data', data: `${command}\r` });
    this.term.focus();
  }

  private connect(): void {
    if (this.closed) return;
    const socket = new WebSocket(this.url(this.seq, this.shell));
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.attempts = 0;
      this.callbacks.onState('open');
      this.send({ type: 'resize', cols: this.term.cols, rows: this.term.rows });
      for (const text of this.pending.splice(0)) socket.send(text);
    });
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as ServerMessage;
      if (message.type === 'hello') this.hello(message.shell, message.seq);
      else if (message.type === 'data') {
        // Skip anything already shown (a replay may overlap by a few characters).
        const skip = Math.max(0, this.seq - message.seq);
        if (skip < message.data.length) this.write(message.data.slice(skip), message.seq < this.replayEnd);
        this.seq = Math.max(this.seq, message.seq + message.data.length);
      } else if (message.type === 'exit') {
        this.exited = true;
        this.exitedShell = true;
        this.term.write(`\r\n\x1b[1;33m${this.callbacks.text('terminal.exited', { code: message.code })}\x1b[0m\r\n`);
      }
    });
    socket.addEventListener('close', (event) => {
      if (this.closed || this.socket !== socket || this.exited || event.code === terminalClose.exited) return;
      if (event.code === terminalClose.ended) {
        this.callbacks.onState('ended');
        return;
      }
      if (event.code === terminalClose.closed || event.code === terminalClose.reset) return;
      this.attempts++;
      this.callbacks.onState(this.attempts > 6 ? 'down' : 'reconnecting');
      // Keep trying (a restarting server comes back); Retry tries at once.
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.connect(), Math.min(8000, 250 * 2 ** this.attempts));
    });
  }

  /** A (re)connection: a shell other than the one shown means its output starts again at 0. */
  private hello(shell: string, seq: number): void {
    if (this.shell && shell !== this.shell) {
      const why = this.exitedShell ? 'exited' : 'restarted';
      this.term.write(
        `\r\n\x1b[1;33m${this.callbacks.text(why === 'exited' ? 'terminal.newShell' : 'terminal.restarted')}\x1b[0m\r\n`,
      );
      this.seq = 0;
      this.callbacks.onNewShell(why);
    }
    this.exitedShell = false;
    this.shell = shell;
    this.replayEnd = seq;
  }

  private write(data: string, replay: boolean): void {
    if (!replay) return this.term.write(data);
    this.replaying++;
    this.term.write(data, () => this.replaying--);
  }

  retry(): void {
    clearTimeout(this.timer);
    this.attempts = 0;
    this.connect();
  }

  setScreenReaderMode(on: boolean): void {
    this.term.options.screenReaderMode = on;
  }

  /** Shows or hides this terminal; focus moves only when the learner asked (no focus stealing). */
  show(visible: boolean, focus = false): void {
    this.element.hidden = !visible;
    if (visible) {
      this.fit.fit();
      if (focus) this.term.focus();
    }
  }

  dispose(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close();
    this.term.dispose();
    this.element.remove();
  }
}
