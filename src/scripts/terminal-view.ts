import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import type { ClientMessage, ServerMessage } from '../contracts/protocol.ts';

export interface TerminalCallbacks {
  onState: (state: 'open' | 'reconnecting' | 'down') => void;
}

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
  private closed = false;
  private readonly url: (since: number) => string;
  private readonly callbacks: TerminalCallbacks;
  private pending: string[] = [];

  constructor(container: HTMLElement, name: string, url: (since: number) => string, callbacks: TerminalCallbacks) {
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
    this.term.onData((data) => this.send({ type: 'data', data }));
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
    const socket = new WebSocket(this.url(this.seq));
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.attempts = 0;
      this.callbacks.onState('open');
      this.send({ type: 'resize', cols: this.term.cols, rows: this.term.rows });
      for (const text of this.pending.splice(0)) socket.send(text);
    });
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as ServerMessage;
      if (message.type === 'data') {
        // Skip anything already shown (a replay may overlap by a few characters).
        const skip = Math.max(0, this.seq - message.seq);
        if (skip < message.data.length) this.term.write(message.data.slice(skip));
        this.seq = Math.max(this.seq, message.seq + message.data.length);
      } else if (message.type === 'exit') {
        this.term.write(`\r\n[exit ${message.code}]\r\n`);
      }
    });
    socket.addEventListener('close', () => {
      if (this.closed) return;
      this.attempts++;
      this.callbacks.onState(this.attempts > 6 ? 'down' : 'reconnecting');
      if (this.attempts <= 6) setTimeout(() => this.connect(), Math.min(8000, 250 * 2 ** this.attempts));
    });
  }

  retry(): void {
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
    this.socket?.close();
    this.term.dispose();
    this.element.remove();
  }
}
