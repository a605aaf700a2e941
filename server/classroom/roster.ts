import type { SessionInfo } from '../../src/contracts/protocol.ts';
import type { Account, ClassInfo, ClassroomStore } from '../lab/store/types.ts';

/** What the roster needs from this lab server's sessions. */
export interface LearnerSessions {
  sessionsOf(learnerId: string): SessionInfo[];
  /** ms the learner's sessions were in use. */
  timeSpent(learnerId: string): number;
}

export interface RosterRow {
  accountId: string;
  username: string;
  email: string | null;
  /** Per lab the learner touched: exercises passed and attempted, hints and solutions revealed. */
  labs: Array<{ lab: string; passed: number; attempted: number; hintsShown: number; solutionsShown: number }>;
  exercisesPassed: number;
  attempts: number;
  hintsShown: number;
  solutionsShown: number;
  timeSpentMs: number;
  /** Lessons read to their end. */
  lessonsRead: number;
  /** Quizzes answered, answered right (at some point) and right at the first answer. */
  quizzesAnswered: number;
  quizzesRight: number;
  quizzesRightFirstTry: number;
  /** Per module with any lesson read or quiz answered (exercises are per lab, above). */
  modules: Array<{ module: string; lessonsRead: number; quizzesAnswered: number; quizzesRight: number }>;
  liveSession: { id: string; labId: string; state: string; createdAt: string } | null;
}

export interface Roster {
  class: { id: string; name: string; joinCode: string; startsAt: number | null; endsAt: number | null };
  learners: RosterRow[];
}

async function row(store: ClassroomStore, sessions: LearnerSessions, member: Account): Promise<RosterRow> {
  const [progress, lessons, quizzes] = await Promise.all([
    store.progressFor(member.learnerId),
    store.lessonsReadBy(member.learnerId),
    store.quizzesOf(member.learnerId),
  ]);
  const labs = new Map<string, RosterRow['labs'][number]>();
  for (const p of progress) {
    const entry = labs.get(p.lab) ?? { lab: p.lab, passed: 0, attempted: 0, hintsShown: 0, solutionsShown: 0 };
    if (p.passed) entry.passed++;
    if (p.attempts > 0) entry.attempted++;
    entry.hintsShown += p.hintsShown;
    if (p.solutionShown) entry.solutionsShown++;
    labs.set(p.lab, entry);
  }
  const modules = new Map<string, RosterRow['modules'][number]>();
  const moduleEntry = (module: string) => {
    const entry = modules.get(module) ?? { module, lessonsRead: 0, quizzesAnswered: 0, quizzesRight: 0 };
    modules.set(module, entry);
    return entry;
  };
  for (const l of lessons) moduleEntry(l.module).lessonsRead++;
  for (const q of quizzes) {
    const entry = moduleEntry(q.module);
    if (q.attempts > 0) entry.quizzesAnswered++;
    if (q.right) entry.quizzesRight++;
  }
  const live = sessions.sessionsOf(member.learnerId)[0];
  return {
    accountId: member.id,
    username: member.username,
    email: member.email,
    labs: [...labs.values()],
    exercisesPassed: progress.filter((p) => p.passed).length,
    attempts: progress.reduce((n, p) => n + p.attempts, 0),
    hintsShown: progress.reduce((n, p) => n + p.hintsShown, 0),
    solutionsShown: progress.filter((p) => p.solutionShown).length,
    timeSpentMs: sessions.timeSpent(member.learnerId),
    lessonsRead: lessons.length,
    quizzesAnswered: quizzes.filter((q) => q.attempts > 0).length,
    quizzesRight: quizzes.filter((q) => q.right).length,
    quizzesRightFirstTry: quizzes.filter((q) => q.rightFirstTry).length,
    modules: [...modules.values()],
    liveSession: live ? { id: live.id, labId: live.labId, state: live.state, createdAt: live.createdAt } : null,
  };
}

export async function buildRoster(store: ClassroomStore, sessions: LearnerSessions, info: ClassInfo): Promise<Roster> {
  const members = await store.classMembers(info.id);
  return {
    class: { id: info.id, name: info.name, joinCode: info.joinCode, startsAt: info.startsAt, endsAt: info.endsAt },
    learners: await Promise.all(members.map((m) => row(store, sessions, m))),
  };
}

/** One CSV field: quoted when needed, and never read as a formula by a spreadsheet. */
function field(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function rosterCsv(roster: Roster): string {
  const header = [
    'username',
    'email',
    'exercises_passed',
    'attempts',
    'hints_shown',
    'solutions_shown',
    'time_spent_minutes',
    'lessons_read',
    'quizzes_answered',
    'quizzes_right',
    'quizzes_right_first_try',
    'live_session_lab',
    'live_session_state',
  ];
  const lines = roster.learners.map((r) =>
    [
      r.username,
      r.email,
      r.exercisesPassed,
      r.attempts,
      r.hintsShown,
      r.solutionsShown,
      Math.round(r.timeSpentMs / 60_000),
      r.lessonsRead,
      r.quizzesAnswered,
      r.quizzesRight,
      r.quizzesRightFirstTry,
      r.liveSession?.labId ?? null,
      r.liveSession?.state ?? null,
    ]
      .map(field)
      .join(','),
  );
  return [header.join(','), ...lines].join('\r\n') + '\r\n';
}
