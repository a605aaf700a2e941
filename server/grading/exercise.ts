import { readFile } from 'node:fs/promises';
import type { Lab } from '../../src/contracts/lab.ts';
import type { Locale } from '../../src/contracts/locales.ts';
import type { ExerciseResult } from '../../src/contracts/protocol.ts';
import { endpointFromKubeconfig, KubeClient } from '../kube/client.ts';
import { message } from './messages.ts';
import { runChecks } from './run.ts';
import type { LearnerAccess } from './types.ts';

export class UnknownExerciseError extends Error {}

/**
 * What graders use of a session: the server's own kubeconfig for the cluster (outside the
 * learner's reach), and the learner's side (files, scripts, command log) with the learner's rights.
 */
export interface GradedWorkspace {
  kubeconfig: string;
  learner: LearnerAccess;
}

/** Grades one exercise of a lab against a session's cluster and workspace. */
export async function gradeExercise(
  lab: Lab,
  labDir: string,
  exerciseId: string,
  ws: GradedWorkspace,
  locale: Locale,
  options: { pollSeconds?: number; backend?: string } = {},
): Promise<ExerciseResult> {
  const exercise = lab.exercises.find((e) => e.id === exerciseId);
  if (!exercise) throw new UnknownExerciseError(`Lab "${lab.id}" has no exercise "${exerciseId}".`);
  if (exercise.backends && options.backend && !(exercise.backends as string[]).includes(options.backend)) {
    const text = message(locale, 'exercise.backend', {
      backends: exercise.backends.join(', '),
      backend: options.backend,
    });
    return { exercise: exerciseId, passed: false, results: [{ kind: 'backend', passed: false, message: text }] };
  }
  const kubeconfig = await readFile(ws.kubeconfig, 'utf8');
  const endpoint = endpointFromKubeconfig(kubeconfig);
  const api = new KubeClient(endpoint);
  const controller = new AbortController();
  try {
    const { passed, results } = await runChecks(exercise.checks, {
      api,
      endpoint,
      home: ws.learner.home,
      learner: ws.learner,
      commands: ws.learner.commands,
      labDir,
      locale,
      signal: controller.signal,
      ...(options.backend ? { backend: options.backend } : {}),
      ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    });
    return { exercise: exerciseId, passed, results };
  } finally {
    controller.abort();
    api.close();
  }
}
