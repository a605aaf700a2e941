import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../src/contracts/lab.ts';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { runCheck, runChecks } from '../../server/grading/run.ts';
import type { GradingContext } from '../../server/grading/types.ts';
import type { Locale } from '../../src/contracts/locales.ts';
import { endpointFromKubeconfig, KubeClient } from '../../server/kube/client.ts';
import { Sandbox } from '../../server/lab/isolation/sandbox.ts';
import { learnerAccess } from '../../server/lab/learner-access.ts';
import { projectRoot } from '../helpers/project.ts';

let cluster: EmbeddedCluster;
let api: KubeClient;
let dir: string;
let home: string;
let kubeconfigText = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'checks-'));
  home = join(dir, 'home');
  await mkdir(join(home, 'reports'), { recursive: true });
  cluster = await new EmbeddedCluster().start();
  const kubeconfig = await cluster.kubeconfig();
  api = KubeClient.fromKubeconfig(kubeconfig);
  await api.create('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'shop', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  });
  await api.create('/api/v1/namespaces/shop/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings' },
    data: { mode: 'strict', level: '3' },
  });
  await api.create('/api/v1/namespaces/shop/serviceaccounts', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'ci' },
  });
  await api.create('/apis/rbac.authorization.k8s.io/v1/namespaces/shop/roles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'reader' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
  });
  await api.create('/apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'ci-reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'shop' }],
  });
  await writeFile(join(home, 'notes.yaml'), 'kind: List\nitems:\n  - name: ci\n    replicas: 2\n');
  await writeFile(join(home, 'broken.json'), '{"a": ');
  await mkdir(join(home, '.lab'));
  await writeFile(
    join(home, '.lab', 'commands.log'),
    [
      `1\t0\t${Buffer.from(home).toString('base64')}\t${Buffer.from('trivy image --format json -o reports/nginx.json nginx:1.27').toString('base64')}`,
      `2\t1\t${Buffer.from(home).toString('base64')}\t${Buffer.from('kubectl get pods -n nowhere').toString('base64')}`,
    ].join('\n') + '\n',
  );
  await writeFile(join(home, 'kubeconfig'), kubeconfig);
  kubeconfigText = kubeconfig;
});
afterAll(async () => {
  api.close();
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

function ctx(locale: Locale): GradingContext {
  // Single-learner mode: the test's own user plays the learner (the sandboxed path is in test/security).
  const session = { id: 'checks', uid: 0, gid: 0, home, runDir: dir, image: '' };
  const paths = {
    home,
    kubeconfig: join(home, 'kubeconfig'),
    sandboxKubeconfig: join(home, 'kubeconfig'),
    commandLog: join(home, '.lab', 'commands.log'),
  };
  const learner = learnerAccess(Sandbox.singleUser(), session, paths);
  return {
    api,
    endpoint: endpointFromKubeconfig(kubeconfigText),
    home,
    learner,
    commands: learner.commands,
    labDir: join(projectRoot, 'labs', 'security-basics'),
    locale,
    signal: new AbortController().signal,
    // Checks of converging state look once here; polling has its own tests below.
    pollSeconds: 0,
  };
}

async function both(check: Check) {
  return { es: await runCheck(check, ctx('es')), en: await runCheck(check, ctx('en')) };
}

const sa = { serviceAccount: { namespace: 'shop', name: 'ci' } };

describe('assert', () => {
  it('passes on a partial match', async () => {
    const r = await both({
      kind: 'assert',
      object: { apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'shop', data: { mode: 'strict' } },
    });
    expect(r.en).toEqual({ kind: 'assert', passed: true, message: 'ConfigMap shop/settings is as expected.' });
    expect(r.es.message).toBe('ConfigMap shop/settings está como se espera.');
  });
  it('fails with a readable diff', async () => {
    const r = await both({
      kind: 'assert',
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'settings',
        namespace: 'shop',
        data: { mode: 'relaxed', extra: 'x' },
      },
    });
    expect(r.en.passed).toBe(false);
    expect(r.en.message).toBe('ConfigMap shop/settings is not as expected:');
    expect(r.en.diff).toBe('- data.mode: expected "relaxed", got "strict"\n- data.extra: expected "x", got (missing)');
    expect(r.es.message).toBe('ConfigMap shop/settings no tiene lo esperado:');
    expect(r.es.diff).toBe(
      '- data.mode: se esperaba "relaxed", hay "strict"\n- data.extra: se esperaba "x", hay (missing)',
    );
  });
  it('fails when the object is missing', async () => {
    const r = await both({
      kind: 'assert',
      object: { apiVersion: 'v1', kind: 'Secret', name: 'nope', namespace: 'shop' },
    });
    expect(r.en.message).toBe('Secret shop/nope does not exist.');
    expect(r.es.message).toBe('No existe Secret shop/nope.');
  });
});

describe('absent', () => {
  it('passes when the object is gone and fails when it is there', async () => {
    const gone = await both({
      kind: 'absent',
      object: { apiVersion: 'v1', kind: 'Secret', name: 'leak', namespace: 'shop' },
    });
    expect(gone.en).toMatchObject({ passed: true, message: 'Secret shop/leak does not exist, as expected.' });
    expect(gone.es.message).toBe('Secret shop/leak no existe, como se espera.');
    const there = await both({
      kind: 'absent',
      object: { apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'shop' },
    });
    expect(there.en).toMatchObject({
      passed: false,
      message: 'ConfigMap shop/settings still exists and should be gone.',
    });
    expect(there.es.message).toBe('ConfigMap shop/settings todavía existe y debería haberse eliminado.');
  });
  it('says "no X matches" when the reference selects by fields, not by name', async () => {
    const none = await both({
      kind: 'absent',
      object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', data: { mode: 'relaxed' } },
    });
    expect(none.en).toMatchObject({ passed: true, message: 'No ConfigMap matches, as expected.' });
    expect(none.es.message).toBe('Ningún objeto ConfigMap coincide, como se espera.');
    const some = await both({
      kind: 'absent',
      object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', data: { mode: 'strict' } },
    });
    expect(some.en).toMatchObject({ passed: false, message: 'A matching ConfigMap still exists and should be gone.' });
    expect(some.es.message).toBe('Todavía hay un objeto ConfigMap que coincide y debería haberse eliminado.');
  });
});

describe('admission', () => {
  it('passes when a privileged pod is denied and a hardened pod is admitted', async () => {
    const denied = await both({
      kind: 'admission',
      manifest: 'probes/privileged-pod.yaml',
      expect: 'denied',
      messageContains: 'violates PodSecurity',
    });
    expect(denied.en).toMatchObject({
      passed: true,
      message: 'The cluster rejects Pod privileged-probe, as expected.',
    });
    expect(denied.es.message).toBe('El clúster rechaza Pod privileged-probe, como se espera.');
    const allowed = await both({ kind: 'admission', manifest: 'probes/hardened-pod.yaml', expect: 'allowed' });
    expect(allowed.en).toMatchObject({ passed: true, message: 'The cluster admits Pod hardened-probe, as expected.' });
  });
  it('fails with the cluster reason', async () => {
    const r = await both({ kind: 'admission', manifest: 'probes/privileged-pod.yaml', expect: 'allowed' });
    expect(r.en.passed).toBe(false);
    expect(r.en.message).toMatch(
      /^The cluster rejected Pod privileged-probe, but it should admit it: pods "privileged-probe" is forbidden: violates PodSecurity "restricted:latest": privileged/,
    );
    expect(r.es.message).toMatch(
      /^El clúster rechazó Pod privileged-probe, pero debería admitirlo: pods "privileged-probe" is forbidden/,
    );
    const wrong = await both({
      kind: 'admission',
      manifest: 'probes/privileged-pod.yaml',
      expect: 'denied',
      messageContains: 'Kyverno',
    });
    expect(wrong.en.message).toMatch(
      /^The cluster rejected Pod privileged-probe, but the reason does not mention "Kyverno": /,
    );
    const notDenied = await both({ kind: 'admission', manifest: 'probes/hardened-pod.yaml', expect: 'denied' });
    expect(notDenied.en.message).toBe('The cluster admitted Pod hardened-probe, but it should reject it.');
    expect(notDenied.es.message).toBe('El clúster admitió Pod hardened-probe, pero debería rechazarlo.');
  });
  it('impersonates the given identity', async () => {
    const r = await both({
      kind: 'admission',
      manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'shop' } },
      as: { user: 'jane', groups: ['dev'] },
      expect: 'denied',
      messageContains: 'User "jane" cannot create resource "configmaps"',
    });
    expect(r.en.passed).toBe(true);
  });
});

describe('can-i', () => {
  it('passes and fails with explanations in both languages', async () => {
    const yes = await both({ kind: 'can-i', as: sa, verb: 'list', resource: 'pods', namespace: 'shop', expect: true });
    expect(yes.en).toMatchObject({ passed: true, message: 'ServiceAccount shop/ci can list pods in namespace shop.' });
    expect(yes.es.message).toBe('ServiceAccount shop/ci puede list pods en el namespace shop.');
    const tooMuch = await both({
      kind: 'can-i',
      as: sa,
      verb: 'list',
      resource: 'pods',
      namespace: 'shop',
      expect: false,
    });
    expect(tooMuch.en).toMatchObject({
      passed: false,
      message: 'ServiceAccount shop/ci can list pods in namespace shop, but should not be able to.',
    });
    expect(tooMuch.es.message).toBe(
      'ServiceAccount shop/ci puede list pods en el namespace shop, pero no debería poder.',
    );
    const tooLittle = await both({
      kind: 'can-i',
      as: { user: 'jane' },
      verb: 'delete',
      resource: 'nodes',
      expect: true,
    });
    expect(tooLittle.en.message).toBe('jane cannot delete nodes cluster-wide, but should be able to.');
    expect(tooLittle.es.message).toBe('jane no puede delete nodes en todo el clúster, pero debería poder.');
  });
});

const trivyDir = join(projectRoot, '..', 'shared', 'conformance', 'tools', 'trivy');

describe('file', () => {
  it('checks presence, regular expressions and YAML paths', async () => {
    const ok = await both({
      kind: 'file',
      path: 'notes.yaml',
      matches: 'name: ci',
      expect: [
        { path: '$.kind', equals: 'List' },
        { path: '$.items[0].replicas', equals: 2 },
      ],
    });
    expect(ok.en).toMatchObject({ passed: true, message: 'The file notes.yaml is correct.' });
    expect(ok.es.message).toBe('El archivo notes.yaml es correcto.');
    const wrong = await both({
      kind: 'file',
      path: 'notes.yaml',
      expect: [{ path: '$.items[0].replicas', equals: 3 }],
    });
    expect(wrong.en.message).toBe('In notes.yaml, $.items[0].replicas: expected 3, found 2.');
    expect(wrong.es.message).toBe('En notes.yaml, $.items[0].replicas: se esperaba 3 y hay 2.');
    // Feedback never shows the regular expression a check uses.
    const noMatch = await both({ kind: 'file', path: 'notes.yaml', matches: '^kind: Secret\\b' });
    expect(noMatch.en.message).toBe('The file notes.yaml does not contain what the exercise asks for yet.');
    expect(noMatch.es.message).toBe('El archivo notes.yaml todavía no contiene lo que pide el ejercicio.');
    const noValue = await both({ kind: 'file', path: 'notes.yaml', expect: [{ path: '$.kind', matches: '^Secret$' }] });
    expect(noValue.en.message).toBe('In notes.yaml, $.kind: expected the value the exercise asks for, found "List".');
    expect(noValue.es.message).not.toContain('^Secret$');
    const missing = await both({ kind: 'file', path: 'nothing.txt' });
    expect(missing.en.message).toBe('The file nothing.txt was not found.');
    expect(missing.es.message).toBe('No encuentro el archivo nothing.txt.');
    const broken = await both({
      kind: 'file',
      path: 'broken.json',
      format: 'json',
      expect: [{ path: '$.a', exists: true }],
    });
    expect(broken.en.message).toMatch(/^The file broken\.json is not valid JSON: /);
    const escape = await runCheck({ kind: 'file', path: '../../etc/passwd' }, ctx('en'));
    expect(escape.passed).toBe(false);
  });

  it('refuses a symlink that resolves outside HOME, without reading it', async () => {
    await symlink('/etc/passwd', join(home, 'answers.yaml'));
    const r = await both({ kind: 'file', path: 'answers.yaml', expect: [{ path: '$.root', exists: true }] });
    expect(r.en).toMatchObject({
      passed: false,
      message: 'The file answers.yaml points outside your HOME folder; only files inside it are graded.',
    });
    expect(r.es.message).toBe(
      'El archivo answers.yaml apunta fuera de tu carpeta personal (HOME); solo se corrigen archivos dentro de ella.',
    );
    expect(r.en.message).not.toContain('root:');
  });

  const goldens = existsSync(trivyDir) ? readdirSync(trivyDir).filter((f) => f.endsWith('.json.golden')) : [];
  it.skipIf(goldens.length === 0)('recognises every real Trivy report of the shared corpus', async () => {
    let checked = 0;
    for (const golden of goldens) {
      const report = JSON.parse(await readFile(join(trivyDir, golden), 'utf8')) as {
        ArtifactName: string;
        ArtifactType?: string;
        Metadata?: { RepoTags?: string[] };
        Results?: Array<{ Vulnerabilities?: Array<{ Severity: string }> }>;
      };
      if (report.ArtifactType && report.ArtifactType !== 'container_image') continue;
      const image = report.Metadata?.RepoTags?.[0] ?? report.ArtifactName;
      const counts: Record<string, number> = {};
      for (const r of report.Results ?? [])
        for (const v of r.Vulnerabilities ?? []) counts[v.Severity] = (counts[v.Severity] ?? 0) + 1;
      await writeFile(join(home, 'reports', 'scan.json'), JSON.stringify(report));
      const good = await runCheck(
        {
          kind: 'trivy-report',
          path: 'reports/scan.json',
          image,
          severityCounts: counts,
        },
        ctx('en'),
      );
      expect(good, golden).toMatchObject({ passed: true });
      const otherImage = await runCheck(
        { kind: 'trivy-report', path: 'reports/scan.json', image: 'quay.io/other/image:9' },
        ctx('en'),
      );
      expect(otherImage.passed, golden).toBe(false);
      expect(otherImage.message).toMatch(
        /^The file reports\/scan\.json is not a Trivy report of quay\.io\/other\/image:9: ArtifactName is /,
      );
      const wrongCount = await runCheck(
        {
          kind: 'trivy-report',
          path: 'reports/scan.json',
          image,
          severityCounts: { CRITICAL: (counts.CRITICAL ?? 0) + 1 },
        },
        ctx('es'),
      );
      expect(wrongCount.message).toMatch(
        /^El archivo reports\/scan\.json no es un informe de Trivy de .*: tiene \d+ vulnerabilidades CRITICAL y se esperaban \d+$/,
      );
      checked++;
    }
    expect(checked).toBeGreaterThan(3);
  });
});

describe('dockerfile', () => {
  it('grades stages, pinned tags, the final base and USER in both languages', async () => {
    await writeFile(join(home, 'Dockerfile'), 'FROM node:22\nCOPY . .\nCMD ["node", "server.js"]\n');
    const rules = { minStages: 2, noLatest: true, finalBaseNot: ['node'], nonRootUser: true };
    const single = await both({ kind: 'dockerfile', path: 'Dockerfile', ...rules });
    expect(single.en).toEqual({
      kind: 'dockerfile',
      passed: false,
      message:
        'The Dockerfile Dockerfile is not hardened yet: it has 1 stage(s) and at least 2 are expected (use a multi-stage build)',
    });
    expect(single.es.message).toBe(
      'El Dockerfile Dockerfile todavía no está endurecido: tiene 1 etapa(s) y se esperan al menos 2 (usa una construcción multietapa)',
    );
    await writeFile(
      join(home, 'Dockerfile'),
      'FROM node:22.12-alpine AS build\nRUN npm ci\nFROM gcr.io/distroless/nodejs22-debian12:nonroot\nCOPY --from=build /app /app\nUSER 65532\n',
    );
    const hardened = await both({ kind: 'dockerfile', path: 'Dockerfile', ...rules });
    expect(hardened.en).toMatchObject({ passed: true, message: 'The file Dockerfile is correct.' });
    await writeFile(join(home, 'Dockerfile'), 'FROM node:22.12-alpine AS build\nFROM node:22\n');
    const root = await both({ kind: 'dockerfile', path: 'Dockerfile', minStages: 2, nonRootUser: true });
    expect(root.en.message).toMatch(/the final stage runs as root; add USER/);
    expect(root.es.message).toMatch(/la etapa final se ejecuta como root/);
    const missing = await both({ kind: 'dockerfile', path: 'nope/Dockerfile', nonRootUser: true });
    expect(missing.es.message).toBe('No encuentro el archivo nope/Dockerfile.');
  });
});

describe('command', () => {
  it('finds a completed command in the session log', async () => {
    const ok = await both({ kind: 'command', pattern: '^trivy image\\b' });
    expect(ok.en).toMatchObject({
      passed: true,
      message: 'You ran "trivy image --format json -o reports/nginx.json nginx:1.27".',
    });
    expect(ok.es.message).toBe('Has ejecutado «trivy image --format json -o reports/nginx.json nginx:1.27».');
    const failedOnly = await both({ kind: 'command', pattern: '^kubectl get pods' });
    // The feedback names the command, never the regular expression.
    expect(failedOnly.en.message).toBe('You have not run `kubectl get pods` (exiting with 0) yet.');
    expect(failedOnly.es.message).toBe('No has ejecutado todavía `kubectl get pods` (con código de salida 0).');
    const complex = await both({ kind: 'command', pattern: '^kubectl (get|describe) (pods|po)\\b' });
    expect(complex.en.message).toBe('You have not run the command this exercise asks for (exiting with 0) yet.');
    expect(complex.es.message).toBe(
      'No has ejecutado todavía el comando que pide este ejercicio (con código de salida 0).',
    );
    expect((await runCheck({ kind: 'command', pattern: '^kubectl get pods', exitCode: 1 }, ctx('en'))).passed).toBe(
      true,
    );
  });
});

describe('script', () => {
  it('passes on exit 0, fails with output, and times out', async () => {
    const ok = await both({ kind: 'script', run: 'test -f notes.yaml && kubectl get ns shop >/dev/null' });
    expect(ok.en).toMatchObject({ passed: true, message: 'The check passed.' });
    expect(ok.es.message).toBe('La comprobación terminó bien.');
    const bad = await both({ kind: 'script', run: 'echo missing thing >&2; exit 3' });
    expect(bad.en.message).toBe('The check ended with code 3: missing thing');
    expect(bad.es.message).toBe('La comprobación terminó con código 3: missing thing');
    const slow = await runCheck({ kind: 'script', run: 'sleep 5', timeoutSeconds: 1 }, ctx('en'));
    expect(slow.passed).toBe(false);
    expect(slow.message).toMatch(/took longer than 1 s/);
  });
});

describe('checks of converging state poll until timeoutSeconds', () => {
  it('assert with timeoutSeconds: 10 passes when the object appears after 3 s', async () => {
    const created = new Promise<void>((resolve, reject) =>
      setTimeout(() => {
        api
          .create('/api/v1/namespaces/shop/configmaps', {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'late' },
            data: { ready: 'yes' },
          })
          .then(() => resolve(), reject);
      }, 3000),
    );
    const start = Date.now();
    const result = await runCheck(
      {
        kind: 'assert',
        object: { apiVersion: 'v1', kind: 'ConfigMap', name: 'late', namespace: 'shop', data: { ready: 'yes' } },
        timeoutSeconds: 10,
      },
      ctx('en'),
    );
    const elapsed = Date.now() - start;
    await created;
    expect(result).toEqual({ kind: 'assert', passed: true, message: 'ConfigMap shop/late is as expected.' });
    expect(elapsed).toBeGreaterThanOrEqual(3000);
    expect(elapsed).toBeLessThan(10_000);
  });
  it('absent waits for a deletion, and a check that never passes explains its last attempt', async () => {
    await api.create('/api/v1/namespaces/shop/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'doomed' },
    });
    setTimeout(() => void api.send('DELETE', '/api/v1/namespaces/shop/secrets/doomed'), 500);
    const gone = await runCheck(
      { kind: 'absent', object: { apiVersion: 'v1', kind: 'Secret', name: 'doomed', namespace: 'shop' } },
      { ...ctx('en'), pollSeconds: 5 },
    );
    expect(gone.passed).toBe(true);
    const start = Date.now();
    const never = await runCheck(
      { kind: 'assert', object: { apiVersion: 'v1', kind: 'Secret', name: 'never', namespace: 'shop' } },
      { ...ctx('es'), pollSeconds: 1 },
    );
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    expect(never).toEqual({ kind: 'assert', passed: false, message: 'No existe Secret shop/never.' });
  });
  it('defaults to a few seconds for assert, absent, admission, can-i and reachability, and checks the others once', async () => {
    const { checkPlugins } = await import('../../server/grading/registry.ts');
    const { defaultPollSeconds } = await import('../../server/grading/run.ts');
    expect(defaultPollSeconds).toBe(5);
    expect(
      checkPlugins
        .filter((p) => p.eventually)
        .map((p) => p.kind)
        .sort(),
    ).toEqual(['absent', 'admission', 'assert', 'can-i', 'reachability']);
    const start = Date.now();
    const once = await runCheck({ kind: 'file', path: 'nothing.txt' }, { ...ctx('en'), pollSeconds: 5 });
    expect(once.passed).toBe(false);
    expect(Date.now() - start).toBeLessThan(1000);
  });
});

describe('runChecks', () => {
  it('stops at the first failure unless a check is independent, and uses custom messages', async () => {
    const { passed, results } = await runChecks(
      [
        {
          kind: 'command',
          pattern: '^never-ran',
          message: { es: 'Aún no has escaneado la imagen.', en: 'You have not scanned the image yet.' },
        },
        { kind: 'file', path: 'notes.yaml' },
        { kind: 'file', path: 'nothing.txt', independent: true },
      ],
      ctx('en'),
    );
    expect(passed).toBe(false);
    expect(results.map((r) => [r.kind, r.passed, r.message])).toEqual([
      ['command', false, 'You have not scanned the image yet.'],
      ['file', false, 'The file nothing.txt was not found.'],
    ]);
  });

  it('says a repeated result once: several asserts on one object, one line each way', async () => {
    const assert = (data: Record<string, string>): Check => ({
      kind: 'assert',
      object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'settings', data },
    });
    const checks = [assert({ mode: 'strict' }), assert({ level: '3' }), assert({ mode: 'strict', level: '3' })];
    for (const locale of ['es', 'en'] as const) {
      const { passed, results } = await runChecks(checks, ctx(locale));
      expect(passed).toBe(true);
      expect(results.map((r) => r.message)).toEqual([
        locale === 'es' ? 'ConfigMap shop/settings está como se espera.' : 'ConfigMap shop/settings is as expected.',
      ]);
    }
    // A failure after passes still shows, and different results all stay.
    const { passed, results } = await runChecks([...checks, assert({ mode: 'lax' })], ctx('en'));
    expect(passed).toBe(false);
    expect(results.map((r) => [r.passed, r.message])).toEqual([
      [true, 'ConfigMap shop/settings is as expected.'],
      [false, 'ConfigMap shop/settings is not as expected:'],
    ]);
  });
});
