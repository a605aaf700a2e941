import type { LessonProgress, QuizAnswer, QuizProgress } from '../../../src/contracts/lessons.ts';
import type { ProgressEntry } from '../../../src/contracts/protocol.ts';

export type Role = 'learner' | 'instructor' | 'admin';
export const roles: readonly Role[] = ['learner', 'instructor', 'admin'];

export interface Account {
  id: string;
  username: string;
  email: string | null;
  role: Role;
  /** The learner id progress and lab sessions are kept under (the anonymous id it claimed, if any). */
  learnerId: string;
  createdAt: number;
}

export interface NewAccount {
  username: string;
  email?: string | null;
  passwordHash: string;
  role: Role;
  learnerId: string;
}

/** A sign-in: the cookie's token is stored only as its hash. */
export interface AuthSession {
  account: Account;
  csrfToken: string;
  expiresAt: number;
}

/** Exercise progress: what a learner did in each exercise. */
export interface ProgressStore {
  recordAttempt(learner: string, lab: string, exercise: string, passed: boolean, results: unknown): Promise<void>;
  /** Unlocks the next hint (at most `available`); returns how many are shown now. */
  showHint(learner: string, lab: string, exercise: string, available: number): Promise<number>;
  recordSolutionShown(learner: string, lab: string, exercise: string): Promise<void>;
  /** The learner had the solution written into their workspace (shown too, by then). */
  recordSolutionApplied(learner: string, lab: string, exercise: string): Promise<void>;
  progressFor(learner: string, lab?: string): Promise<ProgressEntry[]>;
  /** Moves one learner id's progress into another's (claiming anonymous use); passed, hints and solutions add up. */
  mergeProgress(from: string, into: string): Promise<void>;
}

/** Lesson progress: lessons read to their end and quiz answers (graded by the server). */
export interface LessonProgressStore {
  /** Idempotent: the first read's time is kept. */
  recordLessonRead(learner: string, module: string, lesson: string): Promise<void>;
  /** Counts an answer; `answer` is kept as the quiz's last answer (shown again on the lesson page). */
  recordQuizAnswer(
    learner: string,
    module: string,
    lesson: string,
    quiz: string,
    right: boolean,
    answer?: QuizAnswer,
  ): Promise<void>;
  lessonsReadBy(learner: string): Promise<LessonProgress[]>;
  quizzesOf(learner: string): Promise<QuizProgress[]>;
  /** The last answer to each quiz of one lesson that has one, with its verdict. */
  lastAnswers(learner: string, module: string, lesson: string): Promise<StoredQuizAnswer[]>;
}

/** A quiz's last answer as stored: what was chosen or typed, and whether that was right. */
export interface StoredQuizAnswer {
  quiz: string;
  answer: QuizAnswer;
  right: boolean;
}

export class AccountConflictError extends Error {
  readonly field: 'username' | 'email';
  constructor(field: 'username' | 'email') {
    super(`That ${field} is taken.`);
    this.field = field;
  }
}

export interface AccountStore {
  createAccount(account: NewAccount): Promise<Account>;
  /** By username or email, case-insensitively; with the password hash to verify. */
  accountByLogin(login: string): Promise<(Account & { passwordHash: string }) | undefined>;
  accountById(id: string): Promise<Account | undefined>;
  accountByLearnerId(learnerId: string): Promise<Account | undefined>;
  setRole(id: string, role: Role): Promise<void>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  /** The account, its sign-ins and all its learner data. */
  deleteAccount(id: string): Promise<void>;

  /** The account an OIDC provider's subject signed in as before. */
  accountByOidc(issuer: string, subject: string): Promise<Account | undefined>;
  /**
   * Creates an account for an OIDC subject's first sign-in and links them, in one transaction;
   * when the subject was linked meanwhile (two first sign-ins at once) returns that account.
   */
  createOidcAccount(issuer: string, subject: string, account: NewAccount): Promise<Account>;

  createAuthSession(tokenHash: string, accountId: string, csrfToken: string, expiresAt: number): Promise<void>;
  /** The live sign-in with this token hash (expired ones are gone). */
  authSession(tokenHash: string, now?: number): Promise<AuthSession | undefined>;
  deleteAuthSession(tokenHash: string): Promise<void>;

  /** Counts a failed sign-in for `key` in a window of `windowMs`; returns the failures in the current window. */
  noteSignInFailure(key: string, windowMs: number, now?: number): Promise<number>;
  signInFailures(key: string, windowMs: number, now?: number): Promise<number>;
  clearSignInFailures(key: string): Promise<void>;
}

export interface ClassInfo {
  id: string;
  name: string;
  joinCode: string;
  instructorId: string;
  startsAt: number | null;
  endsAt: number | null;
  createdAt: number;
}

export interface ClassStore {
  createClass(input: {
    name: string;
    instructorId: string;
    startsAt?: number | null;
    endsAt?: number | null;
  }): Promise<ClassInfo>;
  classById(id: string): Promise<ClassInfo | undefined>;
  /** Case-insensitive; codes have no look-alike letters. */
  classByCode(code: string): Promise<ClassInfo | undefined>;
  classesOfInstructor(accountId: string): Promise<ClassInfo[]>;
  classesOfMember(accountId: string): Promise<ClassInfo[]>;
  /** Idempotent. */
  joinClass(classId: string, accountId: string): Promise<void>;
  /** Members, by username. */
  classMembers(classId: string): Promise<Account[]>;
}

export interface Certificate {
  id: string;
  accountId: string;
  module: string;
  /** The learner's name as issued. */
  name: string;
  issuedAt: number;
  revokedAt: number | null;
}

export interface CertificateStore {
  /** The named key pair, created by `make` the first time; every replica gets the same one. */
  serverKey(
    name: string,
    make: () => { privatePem: string; publicPem: string },
  ): Promise<{ privatePem: string; publicPem: string }>;
  /** Issues the account's certificate for a module once; later calls return the first. */
  issueCertificate(input: { accountId: string; module: string; name: string }): Promise<Certificate>;
  certificateById(id: string): Promise<Certificate | undefined>;
  certificatesOf(accountId: string): Promise<Certificate[]>;
  revokeCertificate(id: string): Promise<boolean>;
}

/** Accounts, classes and progress: SQLite by default, PostgreSQL for replicas sharing them. */
export interface ClassroomStore extends ProgressStore, LessonProgressStore, AccountStore, ClassStore, CertificateStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** Called with the learner id after each progress change made through this store. */
  onProgress(listener: (learnerId: string) => void): () => void;
  close(): Promise<void>;
}
