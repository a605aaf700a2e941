import { ApiError } from '../../src/contracts/protocol.ts';
import { Terminal } from './terminals.ts';
import { workspacePaths } from './workspace.ts';

const terminalNameRe = /^[a-z0-9-]{1,32}$/;
const maxTerminalsPerSession = 6;

/** The shells of every session, by session and terminal name. */
export class SessionTerminals {
  private readonly bySession = new Map<string, Map<string, Terminal>>();
  /** bubblewrap binary when learner shells are sandboxed. */
  private readonly bwrap?: string;
  private readonly onStart: () => void;

  constructor(options: { bwrap?: string; onStart?: () => void } = {}) {
    this.bwrap = options.bwrap;
    this.onStart = options.onStart ?? (() => undefined);
  }

  /** The named terminal of a session (which must be ready), started on first use. */
  open(sessionId: string, workspace: string, name: string): Terminal {
    if (!terminalNameRe.test(name))
      throw new ApiError(400, 'bad_terminal', 'Terminal names are 1-32 lowercase letters, digits or dashes.');
    let terminals = this.bySession.get(sessionId);
    if (!terminals) this.bySession.set(sessionId, (terminals = new Map()));
    let terminal = terminals.get(name);
    if (!terminal || terminal.exited !== undefined) {
      if (terminals.size >= maxTerminalsPerSession && !terminal)
        throw new ApiError(429, 'too_many_terminals', `At most ${maxTerminalsPerSession} terminals per session.`);
      terminal = new Terminal(
        name,
        workspacePaths(workspace),
        { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: process.env.LANG ?? 'C.UTF-8' },
        this.bwrap,
      );
      terminals.set(name, terminal);
      this.onStart();
    }
    return terminal;
  }

  /** Kills every shell of a session (end, reset, shutdown). */
  closeAll(sessionId: string): void {
    for (const t of this.bySession.get(sessionId)?.values() ?? []) t.kill();
    this.bySession.delete(sessionId);
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
