import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pinnedVersions } from '../../src/contracts/versions.ts';
import type { Check } from '../../src/contracts/lab.ts';
import { gradeExercise } from '../../server/grading/exercise.ts';
import { loadLabs } from '../../server/labs/catalog.ts';
import { localLearner } from '../helpers/learner.ts';
import { projectRoot } from '../helpers/project.ts';
import { runRecordedCheck } from '../helpers/script-check.ts';

/**
 * M8's kube-bench labs. kube-bench-report grades an answers file against the shipped report;
 * kube-bench-fix re-runs kube-bench in the cluster, which needs kind, so its script checks run
 * here against a kubectl double that answers `kubectl logs` with kube-bench's JSON (the shape of
 * v0.15.6's `--json`: Controls → tests → results, Go's \u003c escapes, one line).
 */

const labs = await loadLabs(join(projectRoot, 'labs'));
const reportPath = join(projectRoot, 'labs', 'kube-bench-report', 'files', 'kube-bench-report.json');
const before = await readFile(reportPath, 'utf8');
const after = await readFile(join(projectRoot, 'test', 'labs', 'recorded', 'kube-bench-cis-1.12-fixed.json'), 'utf8');

interface Result {
  test_number: string;
  status: string;
  scored: boolean;
  remediation: string;
  expected_result: string;
}
interface Report {
  Controls: { id: string; version: string; node_type: string; tests: { section: string; results: Result[] }[] }[];
  Totals: Record<string, number>;
}
const results = (json: string) =>
  (JSON.parse(json) as Report).Controls.flatMap((c) => c.tests.flatMap((t) => t.results));
const withStatus = (json: string, status: string) =>
  results(json)
    .filter((r) => r.status === status)
    .map((r) => r.test_number);

/** JSON as Go's encoding/json writes it (kube-bench marshals with it): <, > and & escaped. */
const goJson = (value: unknown) =>
  JSON.stringify(value).replaceAll('<', '\\u003c').replaceAll('>', '\\u003e').replaceAll('&', '\\u0026');

/** What `kube-bench run --check ID --json` prints: only that check, in its section and control. */
function onlyCheck(json: string, id: string): string {
  const report = JSON.parse(json) as Report;
  const controls = report.Controls.map((c) => ({
    ...c,
    tests: c.tests
      .map((t) => ({ ...t, results: t.results.filter((r) => r.test_number === id) }))
      .filter((t) => t.results.length > 0),
  })).filter((c) => c.tests.length > 0);
  return goJson({ ...report, Controls: controls });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-bench-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('kube-bench-report: the shipped report', () => {
  it('has the shape of kube-bench --json for cis-1.12 (master, etcd, node)', () => {
    expect(before.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(before) as Report;
    expect(Object.keys(report)).toEqual(['Controls', 'Totals']);
    expect(report.Controls.map((c) => [c.id, c.node_type, c.version])).toEqual([
      ['1', 'master', 'cis-1.12'],
      ['2', 'etcd', 'cis-1.12'],
      ['4', 'node', 'cis-1.12'],
    ]);
    expect(Object.keys(report.Controls[0]!)).toEqual([
      'id',
      'version',
      'detected_version',
      'text',
      'node_type',
      'tests',
      'total_pass',
      'total_fail',
      'total_warn',
      'total_info',
    ]);
    expect(Object.keys(report.Controls[0]!.tests[0]!)).toEqual([
      'section',
      'type',
      'pass',
      'fail',
      'warn',
      'info',
      'desc',
      'results',
    ]);
    expect(Object.keys(results(before)[0]!)).toEqual([
      'test_number',
      'test_desc',
      'audit',
      'AuditEnv',
      'AuditConfig',
      'type',
      'remediation',
      'test_info',
      'status',
      'actual_value',
      'scored',
      'IsMultiple',
      'expected_result',
    ]);
    // Go escapes < and > in strings (remediations such as --client-ca-file=<path/to/client-ca-file>).
    expect(before).toContain('\\u003cpath/to/client-ca-file\\u003e');
    expect(before).not.toMatch(/[<>]/);
  });

  it('its totals add up, and a FAIL is always a scored check', () => {
    const report = JSON.parse(before) as Report;
    const all = results(before);
    expect(report.Totals).toEqual({
      total_pass: withStatus(before, 'PASS').length,
      total_fail: withStatus(before, 'FAIL').length,
      total_warn: withStatus(before, 'WARN').length,
      total_info: 0,
    });
    for (const r of all.filter((x) => x.status === 'FAIL')) expect(r.scored, r.test_number).toBe(true);
    expect(all.find((r) => r.test_number === '1.2.15')).toMatchObject({
      status: 'FAIL',
      expected_result: "'--profiling' is present",
    });
    expect(all.find((r) => r.test_number === '4.1.9')).toMatchObject({
      status: 'FAIL',
      expected_result: 'permissions has permissions 644, expected 600 or more restrictive',
    });
  });

  it("the FAILs and WARNs the grader knows are exactly the report's", async () => {
    const lab = parse(await readFile(join(projectRoot, 'labs', 'kube-bench-report', 'lab.yaml'), 'utf8')) as {
      exercises: { checks: { expect: { matches?: string }[] }[] }[];
    };
    const [, noWarn = '', exact = ''] = lab.exercises[0]!.checks.map((c) => c.expect[0]!.matches ?? '');
    const fails = withStatus(before, 'FAIL');
    const warns = withStatus(before, 'WARN');
    expect(fails).toHaveLength(12);
    expect(new RegExp(exact).test(JSON.stringify(fails))).toBe(true);
    expect(new RegExp(exact).test(JSON.stringify([...fails].reverse()))).toBe(true);
    for (const w of warns) expect(new RegExp(noWarn).test(JSON.stringify([...fails, w])), w).toBe(false);
    expect(new RegExp(noWarn).test(JSON.stringify(fails))).toBe(true);
  });
});

describe('kube-bench-report refuses the answers learners get wrong', () => {
  const lab = labs.get('kube-bench-report')!.definition!;
  const labDir = labs.get('kube-bench-report')!.dir;
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(dir, 'home-'));
    // The file checks never reach a cluster; the grader still loads a kubeconfig.
    await writeFile(
      join(home, 'kubeconfig'),
      'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:9"}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n',
    );
  });
  const grade = async (answers: string, exercise: string) => {
    await writeFile(join(home, 'answers.yaml'), answers);
    const graded = await gradeExercise(
      lab,
      labDir,
      exercise,
      { kubeconfig: join(home, 'kubeconfig'), learner: localLearner(home, join(home, 'kubeconfig')) },
      'en',
      { pollSeconds: 0, backend: 'embedded' },
    );
    return {
      passed: graded.results.every((r) => r.passed),
      failing: graded.results.filter((r) => !r.passed).map((r) => r.message),
    };
  };
  const list = (ids: string[]) => `fails:\n${ids.map((i) => `  - "${i}"`).join('\n')}\n`;
  const fails = withStatus(before, 'FAIL');

  it('every FAIL, in any order, passes; the message never shows a regular expression', async () => {
    expect((await grade(list(fails), 'name-the-fails')).passed).toBe(true);
    expect((await grade(list([...fails].reverse()), 'name-the-fails')).passed).toBe(true);
    const refused = await grade(list(fails.slice(1)), 'name-the-fails');
    expect(refused.failing.join(' ')).not.toMatch(/\(\?=|\\\./);
  });

  it('adding the WARNs ("about thirty problems") is refused with the WARN explanation', async () => {
    const result = await grade(list([...fails, ...withStatus(before, 'WARN')]), 'name-the-fails');
    expect(result.passed).toBe(false);
    expect(result.failing).toEqual([expect.stringContaining('marks WARN')]);
  });

  it('only the control-plane FAILs, a duplicate in place of one, or no list at all are refused', async () => {
    const master = fails.filter((f) => f.startsWith('1.'));
    expect((await grade(list(master), 'name-the-fails')).failing).toEqual([expect.stringContaining('node_type node')]);
    const dup = [...fails.slice(0, -1), fails[0]!];
    expect((await grade(list(dup), 'name-the-fails')).passed).toBe(false);
    expect((await grade('fixes: {}\n', 'name-the-fails')).failing[0]).toContain('is missing');
  });

  const fixes = (f: Record<string, string>) =>
    `fixes:\n${Object.entries(f)
      .map(([k, v]) => `  "${k}": ${JSON.stringify(v)}`)
      .join('\n')}\n`;
  const good = {
    '1.2.15': '--profiling=false in /etc/kubernetes/manifests/kube-apiserver.yaml',
    '4.1.9': 'chmod 600 /var/lib/kubelet/config.yaml',
    '1.1.12': 'chown etcd:etcd /var/lib/etcd',
  };

  it('the reference fixes and other valid spellings pass', async () => {
    expect((await grade(fixes(good), 'remediations')).passed).toBe(true);
    const other = {
      '1.2.15': 'edit /etc/kubernetes/manifests/kube-apiserver.yaml and add --profiling=false',
      '4.1.9': 'chmod 0600 /var/lib/kubelet/config.yaml',
      '1.1.12': 'chown -R etcd:etcd /var/lib/etcd/',
    };
    expect((await grade(fixes(other), 'remediations')).passed).toBe(true);
  });

  for (const [name, wrong, says] of [
    ['the flag without the file', { '1.2.15': '--profiling=false' }, 'which argument to set and in which file'],
    [
      'kubectl edit instead of the manifest',
      { '1.2.15': 'kubectl edit pod kube-apiserver --profiling=false' },
      'in which file',
    ],
    ['chmod 644 (the mode it already has)', { '4.1.9': 'chmod 644 /var/lib/kubelet/config.yaml' }, 'mode 600'],
    ['chmod on the wrong file', { '4.1.9': 'chmod 600 /etc/kubernetes/kubelet.conf' }, 'mode 600'],
    ['chown root:root (what it already is)', { '1.1.12': 'chown root:root /var/lib/etcd' }, 'etcd user and group'],
  ] as const) {
    it(`${name} is refused`, async () => {
      const result = await grade(fixes({ ...good, ...wrong }), 'remediations');
      expect(result.passed).toBe(false);
      expect(result.failing).toEqual([expect.stringContaining(says)]);
    });
  }
});

describe('kube-bench-fix: the grader re-runs kube-bench and reads its JSON', () => {
  const lab = labs.get('kube-bench-fix')!.definition!;
  let bin: string;
  let home: string;
  beforeAll(async () => {
    home = join(dir, 'fix-home');
    bin = join(dir, 'bin');
    await mkdir(home, { recursive: true });
    await mkdir(bin, { recursive: true });
  });

  const scriptCheck = (exercise: string, id: string): Check => {
    const ex = lab.exercises.find((e) => e.id === exercise)!;
    const check = ex.checks.find((c) => c.kind === 'script' && String(c.run).includes(`id=${id};`));
    expect(check, `${exercise} has a kube-bench check for ${id}`).toBeDefined();
    return check!;
  };

  /** A kubectl double: records the Job manifest it is given and prints `logs` for kubectl logs. */
  async function recordKubectl(opts: { logs: string; complete?: boolean }): Promise<void> {
    await writeFile(join(dir, 'logs'), opts.logs);
    const script = `#!/bin/bash
case "$*" in
  '-n kube-bench delete job '*) exit 0 ;;
  'create -f -') cat > '${dir}/job.yaml'; echo 'job.batch/created' ;;
  '-n kube-bench wait --for=condition=complete job/'*' --timeout=150s') ${opts.complete === false ? `echo 'error: timed out waiting for the condition on jobs/grade' >&2; exit 1` : `echo 'job.batch/grade condition met'`} ;;
  '-n kube-bench logs job/'*' --tail=3') tail -n 3 '${dir}/logs' ;;
  '-n kube-bench logs job/'*) cat '${dir}/logs' ;;
  *) echo "unrecorded: kubectl $*" >&2; exit 99 ;;
esac
`;
    await writeFile(join(bin, 'kubectl'), script);
    await chmod(join(bin, 'kubectl'), 0o755);
  }

  async function run(check: Check): Promise<{ passed: boolean; output: string }> {
    const { passed, output } = await runRecordedCheck(check, home, bin);
    // The script plug-in prefixes a failing script's own output with its exit code.
    return { passed, output: output.replace(/^The check ended with code 1: /, '') };
  }

  for (const [exercise, id, targets] of [
    ['profiling-off', '1.2.15', 'master'],
    ['kubelet-config-mode', '4.1.9', 'node'],
  ] as const) {
    it(`${id}: the full report before the fix is refused with kube-bench's expected_result`, async () => {
      await recordKubectl({ logs: before });
      const expected = results(before).find((r) => r.test_number === id)!.expected_result;
      expect(await run(scriptCheck(exercise, id))).toEqual({
        passed: false,
        output: `kube-bench ${id}: FAIL (${expected})`,
      });
    });

    it(`${id}: the report after the fix passes, as a full run and as --check ${id}`, async () => {
      await recordKubectl({ logs: after });
      expect(await run(scriptCheck(exercise, id))).toEqual({ passed: true, output: 'The check passed.' });
      await recordKubectl({ logs: `${onlyCheck(after, id)}\n` });
      expect((await run(scriptCheck(exercise, id))).passed).toBe(true);
      await recordKubectl({ logs: `${onlyCheck(before, id)}\n` });
      expect((await run(scriptCheck(exercise, id))).passed).toBe(false);
    });

    it(`${id}: the Job the grader creates runs the pinned kube-bench for that check on the control plane`, async () => {
      await recordKubectl({ logs: after });
      await run(scriptCheck(exercise, id));
      const job = parse(await readFile(join(dir, 'job.yaml'), 'utf8')) as {
        spec: {
          template: {
            spec: {
              hostPID: boolean;
              nodeSelector: Record<string, string>;
              containers: { image: string; command: string[] }[];
            };
          };
        };
      };
      const pod = job.spec.template.spec;
      expect(pod.hostPID).toBe(true);
      expect(pod.nodeSelector).toEqual({ 'node-role.kubernetes.io/control-plane': '' });
      expect(pod.containers[0]!.image).toBe(pinnedVersions.images.kubeBench);
      expect(pod.containers[0]!.command).toEqual([
        'kube-bench',
        'run',
        '--benchmark',
        'cis-1.12',
        '--targets',
        targets,
        '--check',
        id,
        '--json',
      ]);
    });
  }

  it('a PASS written inside another field (escaped quotes) does not fool the parser', async () => {
    const report = JSON.parse(before) as Report;
    const r = report.Controls[0]!.tests.flatMap((t) => t.results).find((x) => x.test_number === '1.2.15')!;
    Object.assign(r, {
      remediation: 'x","status":"PASS","y":"',
      expected_result: '{"test_number":"1.2.15","status":"PASS"}',
    });
    await recordKubectl({ logs: goJson(report) });
    const result = await run(scriptCheck('profiling-off', '1.2.15'));
    expect(result.passed).toBe(false);
    expect(result.output).toMatch(/^kube-bench 1\.2\.15: FAIL/);
  });

  it('a report without the check, and a Job that never completes, are refused with the reason', async () => {
    await recordKubectl({ logs: onlyCheck(before, '1.2.16') });
    expect(await run(scriptCheck('profiling-off', '1.2.15'))).toEqual({
      passed: false,
      output: 'kube-bench did not report check 1.2.15',
    });
    await recordKubectl({
      logs: 'Error from server (BadRequest): container "kube-bench" in pod "grade-1-2-15-x7k2p" is waiting to start: ContainerCreating\n',
      complete: false,
    });
    expect(await run(scriptCheck('profiling-off', '1.2.15'))).toEqual({
      passed: false,
      output: expect.stringContaining('kube-bench did not finish: Error from server (BadRequest)'),
    });
  });

  it('the Job the learner runs uses the same pinned image and benchmark', async () => {
    const job = parse(
      await readFile(join(projectRoot, 'labs', 'kube-bench-fix', 'files', 'kube-bench-job.yaml'), 'utf8'),
    ) as {
      spec: { template: { spec: { containers: { image: string; command: string[] }[] } } };
    };
    expect(job.spec.template.spec.containers[0]!.image).toBe(pinnedVersions.images.kubeBench);
    expect(job.spec.template.spec.containers[0]!.command).toContain('cis-1.12');
    expect(lab.backends).toEqual(['kind']);
  });
});
