import type { Check } from './lab.ts';
import type { LessonProgress, QuizProgress } from './lessons.ts';
import type { Locale } from './locales.ts';

/**
 * The small typed protocol between the browser and the lab server, shared by both sides.
 * Terminal WebSocket frames are JSON text; `seq` counts output characters since the
 * terminal started, so a reconnecting browser asks for exactly what it missed.
 */

export type ClientMessage =
  { type: 'data'; data: string } | { type: 'resize'; cols: number; rows: number } | { type: 'ping'; t: number };

export type ServerMessage =
  /** `shell` names one shell process: a different value means the shell was replaced (server restart, exit). */
  | { type: 'hello'; terminal: string; shell: string; seq: number }
  | { type: 'data'; seq: number; data: string }
  | { type: 'exit'; code: number }
  | { type: 'error'; message: string }
  | { type: 'pong'; t: number };

/**
 * WebSocket close codes the lab server uses, so the browser can tell why a terminal closed:
 * a server shutdown uses 1001 (going away) and the browser reconnects; these do not.
 */
export const terminalClose = {
  /** The session ended (End, idle or age limit). */
  ended: 4000,
  /** The shell exited; the next connection starts a new one. */
  exited: 4001,
  /** The learner closed this terminal tab. */
  closed: 4002,
  /** The lab is being reset. */
  reset: 4003,
} as const;

export type SessionState = 'creating' | 'ready' | 'failed' | 'ended';

export type StageName = 'creating-workspace' | 'creating-cluster' | 'installing-add-ons' | 'ready' | 'failed';

export interface StageEvent {
  stage: StageName;
  message: string;
  /** 0..1 when the backend can tell (kind progress lines). */
  progress?: number;
  at: string;
}

export type BackendReason = 'only-backend' | 'first-choice' | 'operator-choice' | 'fallback';

export interface SessionInfo {
  id: string;
  labId: string;
  backend: string;
  /** Why this backend: the lab runs only there, it is the lab's first choice, or the lab's first choice is missing here. */
  backendReason?: BackendReason;
  state: SessionState;
  /** Bearer for this session's terminal WebSockets. */
  token: string;
  createdAt: string;
  capabilities: BackendCapabilities;
  error?: string;
  stages: StageEvent[];
  /** When the server ends the session unless something changes (ISO time); activity moves an idle expiry. */
  expiresAt: string;
  /** What sets expiresAt: the idle limit (typing or checking moves it) or the session's total lifetime. */
  expiresBecause: 'idle' | 'lifetime';
  /** How many more times the learner may extend the session (POST /api/sessions/:id/extend). */
  extensionsLeft: number;
  /** What one extension adds to the session's lifetime, in minutes. */
  extendMinutes: number;
}

export interface BackendCapabilities {
  /** Real containers run (kind) or pods are simulated (embedded). */
  containers: boolean;
  /** What learners should know about the backend, shown on the lab page in their language. */
  limitations: Array<Record<Locale, string>>;
}

export const terminalLimits = {
  maxCols: 500,
  maxRows: 200,
  /** Largest client frame accepted (a 1 MB paste fits). */
  maxFrameBytes: 2 * 1024 * 1024,
  scrollbackChars: 512 * 1024,
};

/** Parses and checks a client frame; returns an error text for anything malformed. */
export function parseClientMessage(raw: string): ClientMessage | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { error: 'malformed frame: not JSON' };
  }
  if (!value || typeof value !== 'object') return { error: 'malformed frame: not an object' };
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'data':
      return typeof m.data === 'string'
        ? { type: 'data', data: m.data }
        : { error: 'malformed frame: data must be a string' };
    case 'resize': {
      const cols = Number(m.cols);
      const rows = Number(m.rows);
      if (
        !Number.isInteger(cols) ||
        !Number.isInteger(rows) ||
        cols < 1 ||
        rows < 1 ||
        cols > terminalLimits.maxCols ||
        rows > terminalLimits.maxRows
      ) {
        return { error: `resize out of range: cols 1-${terminalLimits.maxCols}, rows 1-${terminalLimits.maxRows}` };
      }
      return { type: 'resize', cols, rows };
    }
    case 'ping':
      return { type: 'ping', t: Number(m.t) || 0 };
    default:
      return { error: `malformed frame: unknown type ${JSON.stringify(m.type)}` };
  }
}

/** What one check of an exercise found, in the learner's locale. */
export interface CheckResult {
  kind: Check['kind'];
  passed: boolean;
  /** Learner-facing explanation in the learner's locale. */
  message: string;
  /** For assert failures: expected vs actual, readable. */
  diff?: string;
}

/** POST /api/sessions/:id/exercises/:exercise/check */
export interface ExerciseResult {
  exercise: string;
  passed: boolean;
  results: CheckResult[];
}

/** POST …/exercises/:exercise/hint: the hints unlocked so far. */
export interface HintResult {
  hints: string[];
  remaining: number;
}

/** POST …/exercises/:exercise/solution */
export interface SolutionResult {
  commands: string[];
  files: Record<string, string>;
}

/** POST /api/sessions/:id/exercises/:exercise/apply: the solution written into HOME and run as the learner. */
export interface ApplyResult {
  exercise: string;
  /** Files written, relative to HOME. */
  files: string[];
  /** The solution's commands in order; the first that fails stops the rest. */
  commands: Array<{ command: string; exitCode: number; output: string }>;
  /** Every file written and every command exited 0. */
  ok: boolean;
}

/** GET /api/progress */
export interface ProgressEntry {
  lab: string;
  exercise: string;
  passed: boolean;
  attempts: number;
  hintsShown: number;
  solutionShown: boolean;
  /** Present (true) once the learner had the solution applied to their workspace. */
  solutionApplied?: true;
}
export interface ProgressResult {
  progress: ProgressEntry[];
  /** Lessons read and quizzes answered (GET /api/progress without ?lab=). */
  lessons?: LessonProgress[];
  quizzes?: QuizProgress[];
}

/** The one error body every lab API endpoint answers with. */
export interface ApiErrorBody {
  /** Stable machine-readable code, e.g. "unknown_session". */
  error: string;
  /** Human-readable explanation. */
  message: string;
  /** backend_unavailable: what the server lacks (kind, docker, docker-daemon, inotify), explained by the page. */
  missing?: string[];
}

/** An API error with its HTTP status: thrown by the server to answer, and by the browser client on a failed call. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly missing?: string[];
  /** Seconds to wait, sent as Retry-After (429s). */
  retryAfter?: number;
  constructor(status: number, code: string, message: string, missing?: string[]) {
    super(message);
    this.status = status;
    this.code = code;
    if (missing) this.missing = missing;
  }
  body(): ApiErrorBody {
    return this.missing
      ? { error: this.code, message: this.message, missing: this.missing }
      : { error: this.code, message: this.message };
  }
}
