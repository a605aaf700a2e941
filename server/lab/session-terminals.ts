import { ApiError, terminalClose } from '../../src/contracts/protocol.ts';
import type { Sandbox, SandboxSession } from './isolation/sandbox.ts';
import { Terminal } from './terminals.ts';
import { learnerEnv, workspacePaths } from './workspace.ts';

const terminalNameRe = /^[a-z0-9-]{1,32}$/;
export const maxTerminalsPerSession = 6;

/** The shells of every session, by session and terminal name; each runs in the session's sandbox. */
export class SessionTerminals {
  private readonly bySession = new Map<string, Map<string, Terminal>>();
  private readonly sandbox: Sandbox;
  private readonly onStart: () => void;

  constructor(options: { sandbox: Sandbox; onStart?: () => void }) {
    this.sandbox = options.sandbox;
    this.onStart = options.onStart ?? (() => undefined);
  }

  /** The named terminal of a session (which must be ready), started on first use. */
  open(sessionId: string, workspace: string, name: string, identity: SandboxSession): Terminal {
    if (!terminalNameRe.test(name))
      throw new ApiError(400, 'bad_terminal', 'Terminal names are 1-32 lowercase letters, digits or dashes.');
    let terminals = this.bySession.get(sessionId);
    if (!terminals) this.bySession.set(sessionId, (terminals = new Map()));
    let terminal = terminals.get(name);
    if (!terminal || terminal.exited !== undefined) {
      if (terminals.size >= maxTerminalsPerSession && !terminal)
        throw new ApiError(429, 'too_many_terminals', `At most ${maxTerminalsPerSession} terminals per session.`);
      const ws = workspacePaths(workspace);
      const shell = ['bash', '--noprofile', '--rcfile', ws.bashrc, '-i'];
      const entry = this.sandbox.entry(identity, shell, {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...learnerEnv(ws),
      });
      terminal = new Terminal(name, { ...entry, cwd: ws.home });
      terminals.set(name, terminal);
      this.onStart();
    }
    return terminal;
  }

  /** Kills every shell of a session (end, reset, shutdown); `code` tells browsers why (terminalClose). */
  closeAll(sessionId: string, code?: number, reason?: string): void {
    for (const t of this.bySession.get(sessionId)?.values() ?? []) t.kill(code, reason);
    this.bySession.delete(sessionId);
  }

  /** Kills one shell of a session (the learner closed its tab); false when there was none. */
  close(sessionId: string, name: string): boolean {
    const terminal = this.bySession.get(sessionId)?.get(name);
    if (!terminal) return false;
    terminal.kill(terminalClose.closed, 'terminal closed');
    this.bySession.get(sessionId)!.delete(name);
    return true;
  }

  /** When the learner last typed in any of the session's terminals (0 when never). */
  lastInput(sessionId: string): number {
    return Math.max(0, ...[...(this.bySession.get(sessionId)?.values() ?? [])].map((t) => t.lastInput));
  }

  /** Shows a line from the lab server in every running shell of a session. */
  notice(sessionId: string, text: string): void {
    for (const t of this.bySession.get(sessionId)?.values() ?? []) if (t.exited === undefined) t.notice(text);
  }

  has(sessionId: string): boolean {
    return (this.bySession.get(sessionId)?.size ?? 0) > 0;
  }

  private running(): Terminal[] {
    return [...this.bySession.values()].flatMap((m) => [...m.values()]).filter((t) => t.exited === undefined);
  }

  /** Process ids of the running shells (for measurements and leak checks). */
  pids(): number[] {
    return this.running().map((t) => t.pid);
  }

  count(): number {
    return this.running().length;
  }
}
