import type { EventEmitter } from 'node:events';
import type { Locale } from '../../src/contracts/locales.ts';
import {
  ApiError,
  type ApplyResult,
  type ExerciseResult,
  type HintResult,
  type ProgressEntry,
  type SolutionResult,
} from '../../src/contracts/protocol.ts';
import { gradeExercise, UnknownExerciseError } from '../grading/exercise.ts';
import type { CatalogLab } from '../labs/catalog.ts';
import { solutionFiles } from '../labs/solution.ts';
import { WorkspaceWriteError, type RunResult } from './isolation/sandbox.ts';
import type { LearnerAccess } from './learner-access.ts';
import { parseSolutionRun, solutionScript } from './solution-run.ts';
import type { SessionRow } from './store.ts';
import type { ProgressStore } from './store/types.ts';
import { workspacePaths } from './workspace.ts';

/** What exercises need from the session lifecycle. */
export interface SessionLookup {
  /** The learner's open session; 404 when unknown or someone else's. */
  row(id: string, learner: string): SessionRow;
  lab(labId: string): CatalogLab;
  touch(id: string): void;
  /** The session's learner side (files, scripts, command log), with the learner's rights. */
  learner(id: string): LearnerAccess;
  /** Writes files into the session's HOME as the learner, never through a planted symlink. */
  writeFiles(id: string, files: Array<{ path: string; content: string }>): Promise<void>;
  /** Runs argv in HOME as the learner, with their shell's environment (their kubeconfig). */
  runAsLearner(id: string, argv: string[], timeoutMs: number): Promise<RunResult>;
}

/** How long one solution command may take when applied (a `kubectl wait` included), and all of them. */
const applyCommandTimeoutMs = 120_000;
const applyTimeoutMs = 600_000;

/** The exercise side of a lab: check (graded against the session), hints, solution and progress. */
export class Exercises {
  private readonly sessions: SessionLookup;
  private readonly store: ProgressStore;
  private readonly metrics: EventEmitter;

  constructor(sessions: SessionLookup, store: ProgressStore, metrics: EventEmitter) {
    this.sessions = sessions;
    this.store = store;
    this.metrics = metrics;
  }

  /** Checks an exercise of the session's lab and records the attempt. */
  async check(
    id: string,
    learner: string,
    exerciseId: string,
    locale: Locale,
    options: { pollSeconds?: number } = {},
  ): Promise<ExerciseResult> {
    const row = this.sessions.row(id, learner);
    if (row.state !== 'ready') throw new ApiError(409, 'not_ready', 'The session is not ready yet.');
    const lab = this.sessions.lab(row.labId);
    try {
      const ws = workspacePaths(row.workspace);
      // The server's own kubeconfig (the learner can edit theirs); the learner's side as the learner.
      const graded = { kubeconfig: ws.graderKubeconfig, learner: this.sessions.learner(id) };
      const result = await gradeExercise(lab.definition, lab.dir, exerciseId, graded, locale, {
        ...options,
        backend: row.backend,
      });
      await this.store.recordAttempt(learner, lab.id, exerciseId, result.passed, result.results);
      this.metrics.emit('grader', result.passed ? 'pass' : 'fail');
      this.sessions.touch(id);
      return result;
    } catch (error) {
      if (error instanceof UnknownExerciseError) throw new ApiError(404, 'unknown_exercise', error.message);
      throw error;
    }
  }

  private exercise(labId: string, exerciseId: string) {
    const exercise = this.sessions.lab(labId).definition.exercises.find((e) => e.id === exerciseId);
    if (!exercise) throw new ApiError(404, 'unknown_exercise', `Lab "${labId}" has no exercise "${exerciseId}".`);
    return exercise;
  }

  /** Unlocks and returns the hints shown so far (one more each call). */
  async hint(learner: string, labId: string, exerciseId: string, locale: Locale): Promise<HintResult> {
    const exercise = this.exercise(labId, exerciseId);
    const shown = await this.store.showHint(learner, labId, exerciseId, exercise.hints.length);
    return { hints: exercise.hints.slice(0, shown).map((h) => h[locale]), remaining: exercise.hints.length - shown };
  }

  /** The reference solution, every file in full; showing it is recorded in the learner's progress. */
  async solution(learner: string, labId: string, exerciseId: string): Promise<SolutionResult> {
    const exercise = this.exercise(labId, exerciseId);
    const files = await solutionFiles(this.sessions.lab(labId).dir, exercise);
    await this.store.recordSolutionShown(learner, labId, exerciseId);
    return { commands: exercise.solution.commands ?? [], files };
  }

  /**
   * "Apply the solution": writes the solution's files into HOME and runs its commands there,
   * both as the learner in the session's sandbox (the learner's own rights, their cluster
   * credentials), the commands in one shell as the terminal would; recorded in progress as
   * applied. The first command that fails stops the rest.
   */
  async apply(id: string, learner: string, exerciseId: string): Promise<ApplyResult> {
    const row = this.sessions.row(id, learner);
    if (row.state !== 'ready') throw new ApiError(409, 'not_ready', 'The session is not ready yet.');
    const lab = this.sessions.lab(row.labId);
    const exercise = this.exercise(lab.id, exerciseId);
    const files = await solutionFiles(lab.dir, exercise);
    const paths = Object.keys(files);
    try {
      await this.sessions.writeFiles(
        id,
        paths.map((path) => ({ path, content: files[path]! })),
      );
    } catch (error) {
      // A symlink the learner planted on the way: their doing, and theirs to remove.
      if (error instanceof WorkspaceWriteError && error.refused)
        throw new ApiError(409, 'apply_refused', `The solution's files were not written: ${error.message}`);
      throw error;
    }
    const solutionCommands = exercise.solution.commands ?? [];
    let commands: ApplyResult['commands'] = [];
    if (solutionCommands.length) {
      const run = await this.sessions.runAsLearner(
        id,
        ['/bin/bash', '-c', solutionScript, 'lab-apply', ...solutionCommands],
        Math.min(applyCommandTimeoutMs * solutionCommands.length, applyTimeoutMs),
      );
      commands = parseSolutionRun(run.all, solutionCommands, run);
    }
    await this.store.recordSolutionApplied(learner, lab.id, exerciseId);
    this.sessions.touch(id);
    const ok = commands.every((c) => c.exitCode === 0) && commands.length === solutionCommands.length;
    return { exercise: exerciseId, files: paths, commands, ok };
  }

  progress(learner: string, labId?: string): Promise<ProgressEntry[]> {
    return this.store.progressFor(learner, labId);
  }
}
