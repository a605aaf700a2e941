import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBackend } from '../lab/backends/embedded.ts';
import { execaRunner } from '../lab/backends/command-runner.ts';
import { KindBackend } from '../lab/backends/kind/backend.ts';
import { installId } from '../lab/backends/kind/install-id.ts';
import type { ClusterBackend } from '../lab/backends/types.ts';
import { loadLabs, type CatalogLab } from '../labs/catalog.ts';
import { solutionFiles } from '../labs/solution.ts';
import { SessionManager } from '../lab/sessions.ts';
import { LabStore } from '../lab/store.ts';
import { openClassroomStore } from '../lab/store/open.ts';
import type { Terminal } from '../lab/terminals.ts';
import { toolInstalled } from '../lab/tools.ts';
import type { LearnerAccess } from '../lab/learner-access.ts';
import { Sandbox } from '../lab/isolation/sandbox.ts';

export interface LabTestRow {
  lab: string;
  exercise: string;
  failsBefore: boolean;
  passesAfter: boolean;
  /** Why the exercise could not be tested here (kind-only lab, missing tool). */
  skipped?: string;
  detail: string;
}

/** Types one command into the session's shell and waits until the shell logged it. */
async function runInTerminal(
  terminal: Terminal,
  learner: LearnerAccess,
  command: string,
  timeoutMs = 60_000,
): Promise<void> {
  const before = (await learner.commands()).length;
  terminal.write(`${command}\r`);
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if ((await learner.commands()).length > before) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`solution command did not finish in ${timeoutMs / 1000} s: ${command}`);
}

/**
 * `labs test`: for each lab, on a fresh session (embedded, or kind with --backend kind) every exercise must fail; then
 * each exercise's reference solution is typed into the real shell and the exercise must pass.
 */
export async function testLabs(
  labsDir: string,
  only: string[] = [],
  options: { backend?: 'embedded' | 'kind' } = {},
): Promise<LabTestRow[]> {
  const backendName = options.backend ?? 'embedded';
  const dataDir = await mkdtemp(join(tmpdir(), 'labs-test-'));
  const store = new LabStore(join(dataDir, 'lab.sqlite'));
  const labs = await loadLabs(labsDir);
  const selected = [...labs.values()].filter((l) => only.length === 0 || only.includes(l.id));
  const missing = only.filter((id) => !labs.has(id));
  if (missing.length)
    throw new Error(
      `unknown lab ${missing.map((m) => `"${m}"`).join(', ')}; known labs: ${[...labs.keys()].join(', ')}`,
    );
  const backends: ClusterBackend[] = [new EmbeddedBackend()];
  let kind: KindBackend | undefined;
  if (backendName === 'kind') {
    kind = new KindBackend({
      runner: execaRunner,
      installId: await installId(dataDir),
      poolDir: join(dataDir, 'pool'),
    });
    const preflight = await kind.preflight();
    if (!preflight.ok) {
      store.close();
      await rm(dataDir, { recursive: true, force: true });
      throw new Error(`the kind backend cannot run here: ${preflight.reason}`);
    }
    backends.push(kind);
  }
  const sessions = new SessionManager({
    store,
    progress: await openClassroomStore(undefined, store),
    labs,
    backends,
    dataDir,
    backend: backendName,
    limits: { maxPerLearner: 1000, maxSessions: 1000, maxPerAddress: 1000 },
    // The reference solutions run in the same sandbox learners get.
    sandbox: await Sandbox.detect({ dataDir }),
  });
  const rows: LabTestRow[] = [];
  try {
    for (const lab of selected) rows.push(...(await testLab(sessions, lab, backendName)));
  } finally {
    await sessions.shutdown();
    store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return rows;
}

async function testLab(sessions: SessionManager, lab: CatalogLab, backend: 'embedded' | 'kind'): Promise<LabTestRow[]> {
  const def = lab.definition;
  const missingTools = def.tools.filter((tool) => !toolInstalled(tool));
  const skip = !def.backends.includes(backend)
    ? `this lab runs on ${def.backends.join(', ')} only`
    : missingTools.length
      ? `needs ${missingTools.join(', ')}, not installed here`
      : undefined;
  if (skip) {
    return def.exercises.map((e) => ({
      lab: lab.id,
      exercise: e.id,
      failsBefore: false,
      passesAfter: false,
      skipped: skip,
      detail: `skipped: ${skip}`,
    }));
  }
  const learner = 'labs-test';
  const info = await sessions.create(learner, lab.id);
  await sessions.whenReady(info.id);
  const learnerSide = sessions.learner(info.id);
  const rows: LabTestRow[] = [];
  // An exercise limited to other backends (an attack that needs real containers) is left to their e2e run.
  const elsewhere = (e: (typeof def.exercises)[number]) => !!e.backends && !e.backends.includes(backend);
  for (const exercise of def.exercises) {
    if (elsewhere(exercise)) {
      const reason = `this exercise runs on ${exercise.backends!.join(', ')} only`;
      rows.push({
        lab: lab.id,
        exercise: exercise.id,
        failsBefore: false,
        passesAfter: false,
        skipped: reason,
        detail: `skipped: ${reason}`,
      });
      continue;
    }
    // Nothing converges on a fresh session: check once instead of waiting for the poll timeout.
    const result = await sessions.exercises.check(info.id, learner, exercise.id, 'en', { pollSeconds: 0 });
    rows.push({
      lab: lab.id,
      exercise: exercise.id,
      failsBefore: !result.passed,
      passesAfter: false,
      detail: result.passed ? 'passed before the solution was applied' : '',
    });
  }
  const terminal = sessions.terminal(info.id, 'labs-test');
  await new Promise((r) => setTimeout(r, 200));
  for (const [i, exercise] of def.exercises.entries()) {
    if (elsewhere(exercise)) continue;
    const files = Object.entries(await solutionFiles(lab.dir, exercise)).map(([path, content]) => ({ path, content }));
    await sessions.writeLearnerFiles(info.id, files);
    for (const command of exercise.solution.commands ?? []) await runInTerminal(terminal, learnerSide, command);
    const result = await sessions.exercises.check(info.id, learner, exercise.id, 'en');
    rows[i]!.passesAfter = result.passed;
    if (!result.passed)
      rows[i]!.detail = result.results
        .filter((r) => !r.passed)
        .map((r) => r.message + (r.diff ? `\n${r.diff}` : ''))
        .join(' | ');
  }
  await sessions.end(info.id);
  return rows;
}

export function formatTable(rows: LabTestRow[]): string {
  const header = ['LAB', 'EXERCISE', 'FAILS BEFORE', 'PASSES AFTER', 'DETAIL'];
  const body = rows.map((r) => [
    r.lab,
    r.exercise,
    r.skipped ? '-' : r.failsBefore ? 'yes' : 'NO',
    r.skipped ? '-' : r.passesAfter ? 'yes' : 'NO',
    r.detail,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.split('\n')[0]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}
