import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { gradeExercise } from '../../server/grading/exercise.ts';
import { loadLabs, type CatalogLab } from '../../server/labs/catalog.ts';
import { applySetup } from '../../server/lab/setup.ts';
import { kubectlBinaries, KubectlHarness } from '../helpers/kubectl.ts';
import { localLearner } from '../helpers/learner.ts';
import { projectRoot } from '../helpers/project.ts';

/**
 * The answers learners get wrong most often, each sent to a real embedded cluster with the real
 * kubectl and graded with the lab's own checks: the grader must refuse it with a message that
 * names the mistake, and accept the lab's reference answer (and other valid ways) in the same
 * cluster, so each refusal is caused by exactly that mistake.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are edited freely in these tests
type Obj = Record<string, any>;
const labs = await loadLabs(join(projectRoot, 'labs'));
const binary = kubectlBinaries().at(-1)!.path;

function lab(id: string): CatalogLab {
  const found = labs.get(id);
  if (!found?.definition) throw new Error(`lab ${id} is missing or invalid`);
  return found;
}

async function labYaml(id: string, file: string): Promise<Obj> {
  return parse(await readFile(join(projectRoot, 'labs', id, file), 'utf8')) as Obj;
}

/** One embedded cluster with a lab's setup applied, and a way to grade its exercises. */
function labCluster(id: string) {
  const harness = new KubectlHarness(binary);
  const summary = lab(id);
  const state = {
    harness,
    async kubectl(...args: string[]) {
      const res = await harness.run(args);
      expect(res.code, `kubectl ${args.join(' ')}: ${res.stderr}`).toBe(0);
      return res.stdout;
    },
    /** kubectl replace (or create) of a manifest given as an object. */
    async replace(object: Obj) {
      const path = await harness.file(`${object.kind}-${object.metadata.name}.yaml`, stringify(object));
      const res = await harness.run(['replace', '-f', path]);
      if (res.code !== 0) await state.kubectl('create', '-f', path);
    },
    async grade(exercise: string, locale: 'en' | 'es' = 'en', pollSeconds = 0) {
      return gradeExercise(
        summary.definition!,
        summary.dir,
        exercise,
        { kubeconfig: harness.kubeconfig, learner: localLearner(harness.home, harness.kubeconfig) },
        locale,
        { pollSeconds, backend: 'embedded' },
      );
    },
  };
  beforeAll(async () => {
    await harness.start();
    await applySetup(await readFile(harness.kubeconfig, 'utf8'), summary);
  });
  afterAll(() => harness.stop());
  return state;
}

function failing(result: Awaited<ReturnType<ReturnType<typeof labCluster>['grade']>>): string[] {
  return result.results.filter((r) => !r.passed).map((r) => r.message);
}

describe('harden-deployment refuses a named USER for runAsNonRoot and a read-only root without /tmp', () => {
  const lab = labCluster('harden-deployment');
  let solution: Obj;
  beforeAll(async () => {
    solution = await labYaml('harden-deployment', 'solution/web-deployment.yaml');
  });
  const variant = (edit: (d: Obj) => void) => {
    const d = structuredClone(solution);
    edit(d);
    return d;
  };

  it('runAsNonRoot with the image USER app and no numeric runAsUser: Pod Security admits it, the grader does not', async () => {
    await lab.replace(
      variant((d) => {
        delete d.spec.template.spec.securityContext.runAsUser;
        delete d.spec.template.spec.securityContext.runAsGroup;
      }),
    );
    // The trap: restricted only reads the manifest, so the pods are admitted.
    expect((await lab.grade('restricted-pods', 'en', 10)).passed).toBe(true);
    const result = await lab.grade('numeric-user');
    expect(result.passed).toBe(false);
    expect(failing(result).join('\n')).toContain('image has non-numeric user (app), cannot verify user is non-root');
    expect(failing(await lab.grade('numeric-user', 'es')).join('\n')).toContain('Define runAsUser');
  });

  it('a container that overrides the pod-level UID with runAsUser 0 is refused', async () => {
    await lab.replace(
      variant((d) => {
        d.spec.template.spec.containers[0].securityContext.runAsUser = 0;
      }),
    );
    expect((await lab.grade('numeric-user')).passed).toBe(false);
  });

  it('a numeric runAsUser set per container instead of per pod is another valid way', async () => {
    await lab.replace(
      variant((d) => {
        delete d.spec.template.spec.securityContext.runAsUser;
        d.spec.template.spec.containers[0].securityContext.runAsUser = 20002;
      }),
    );
    expect((await lab.grade('numeric-user')).passed).toBe(true);
  });

  it('readOnlyRootFilesystem without a writable /tmp is refused', async () => {
    await lab.replace(
      variant((d) => {
        delete d.spec.template.spec.containers[0].volumeMounts;
        delete d.spec.template.spec.volumes;
      }),
    );
    const result = await lab.grade('read-only-root');
    expect(result.passed).toBe(false);
    expect(failing(result)).toEqual([expect.stringContaining('/tmp is not writable')]);
  });

  it('a read-only /tmp mount, or /tmp from a ConfigMap, is refused too', async () => {
    await lab.replace(
      variant((d) => {
        d.spec.template.spec.containers[0].volumeMounts[0].readOnly = true;
      }),
    );
    expect((await lab.grade('read-only-root')).passed).toBe(false);
    await lab.kubectl('-n', 'shop', 'create', 'configmap', 'tmp-files', '--from-literal=a=b');
    await lab.replace(
      variant((d) => {
        d.spec.template.spec.volumes = [{ name: 'tmp', configMap: { name: 'tmp-files' } }];
      }),
    );
    expect((await lab.grade('read-only-root')).passed).toBe(false);
  });

  it('the reference solution passes every embedded exercise', async () => {
    await lab.replace(solution);
    for (const exercise of ['restricted-pods', 'numeric-user', 'read-only-root'])
      expect((await lab.grade(exercise, 'en', 10)).passed, exercise).toBe(true);
  });

  it('the kind-only exercise says so on the embedded backend, in both languages', async () => {
    const en = await lab.grade('runtime-proof');
    expect(en.passed).toBe(false);
    expect(en.results[0]!.message).toContain('can only be graded on the kind backend');
    expect((await lab.grade('runtime-proof', 'es')).results[0]!.message).toContain('solo se puede corregir');
  });
});

describe('secret-access refuses a Secret readable through a wildcard role', () => {
  const lab = labCluster('secret-access');
  const sa = 'system:serviceaccount:shop:reporter';

  it('the shipped wildcard Role on resources "*" is refused: it reads payments-api-key and lists every Secret', async () => {
    const messages = failing(await lab.grade('one-secret')).join('\n');
    expect(messages).toContain('payments-api-key');
    expect(messages).toContain('list returns every value');
  });

  it('a Role on secrets with verbs "*" (even with resourceNames) is refused', async () => {
    await lab.kubectl('-n', 'shop', 'delete', 'rolebinding', 'reporter-shop-reader');
    await lab.replace({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'secrets-all', namespace: 'shop' },
      rules: [
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['db-credentials'], verbs: ['get'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['*'] },
      ],
    });
    await lab.kubectl(
      '-n',
      'shop',
      'create',
      'rolebinding',
      'reporter-secrets',
      '--role=secrets-all',
      `--serviceaccount=shop:reporter`,
    );
    const messages = failing(await lab.grade('one-secret')).join('\n');
    expect(messages).toContain('list returns every value');
    expect(messages).toContain('watch Secrets');
    await lab.kubectl('-n', 'shop', 'delete', 'rolebinding', 'reporter-secrets');
  });

  it('a ClusterRoleBinding to a ClusterRole that reads one Secret name leaks the same name in billing', async () => {
    await lab.kubectl(
      'create',
      'clusterrole',
      'db-credentials-reader',
      '--verb=get',
      '--resource=secrets',
      '--resource-name=db-credentials',
    );
    await lab.kubectl(
      'create',
      'clusterrolebinding',
      'reporter-db',
      '--clusterrole=db-credentials-reader',
      `--serviceaccount=shop:reporter`,
    );
    expect(failing(await lab.grade('one-secret'))).toEqual([expect.stringContaining('billing/db-credentials')]);
    await lab.kubectl('delete', 'clusterrolebinding', 'reporter-db');
  });

  it('a binding to every ServiceAccount of the namespace is refused', async () => {
    await lab.kubectl(
      '-n',
      'shop',
      'create',
      'role',
      'read-db',
      '--verb=get',
      '--resource=secrets',
      '--resource-name=db-credentials',
    );
    await lab.kubectl(
      '-n',
      'shop',
      'create',
      'rolebinding',
      'all-sas',
      '--role=read-db',
      '--group=system:serviceaccounts:shop',
    );
    expect(failing(await lab.grade('one-secret'))).toEqual([expect.stringContaining('shop/default')]);
    await lab.kubectl('-n', 'shop', 'delete', 'rolebinding', 'all-sas');
  });

  it('get with resourceNames for reporter alone passes', async () => {
    await lab.kubectl(
      '-n',
      'shop',
      'create',
      'rolebinding',
      'reporter-read-db',
      '--role=read-db',
      `--serviceaccount=shop:reporter`,
    );
    const allowed = await lab.harness.run(['auth', 'can-i', 'list', 'secrets', '-n', 'shop', `--as=${sa}`]);
    expect(allowed.stdout.trim()).toBe('no');
    expect((await lab.grade('one-secret')).passed).toBe(true);
  });

  it('the password as an env literal instead of a mounted file is refused', async () => {
    const deployment = await labYaml('secret-access', 'solution/reporter-deployment.yaml');
    const literal = structuredClone(deployment);
    literal.spec.template.spec.containers[0].env = [{ name: 'DB_PASSWORD', value: 'R3port-Only-Db' }];
    await lab.replace(literal);
    expect(failing(await lab.grade('mount-as-file', 'en', 5))).toEqual([
      expect.stringContaining('a password sits as a literal in env'),
    ]);
    await lab.replace(deployment);
    expect((await lab.grade('mount-as-file', 'en', 10)).passed).toBe(true);
  });
});

describe('leaked-credentials refuses a rotated password left in an env literal', () => {
  const lab = labCluster('leaked-credentials');
  let deployment: Obj;
  beforeAll(async () => {
    deployment = await labYaml('leaked-credentials', 'solution/api-deployment.yaml');
    await lab.kubectl(
      '-n',
      'shop',
      'create',
      'secret',
      'generic',
      'db-credentials',
      '--from-literal=password=N3w-Rotated-Pass',
    );
    await lab.kubectl(
      '-n',
      'shop',
      'patch',
      'configmap',
      'shop-config',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/data/DB_PASSWORD"}]',
    );
  });

  for (const name of ['DB_PASSWORD', 'DB_PASS', 'PAYMENTS_API_TOKEN']) {
    it(`a literal ${name} in env is refused, even with the Secret created and the ConfigMap key gone`, async () => {
      const literal = structuredClone(deployment);
      literal.spec.template.spec.containers[0].env.push({ name, value: 'N3w-Rotated-Pass' });
      if (name === 'DB_PASSWORD') literal.spec.template.spec.containers[0].env.splice(2, 1);
      await lab.replace(literal);
      const messages = failing(await lab.grade('rotate'));
      expect(messages[0]).toContain('literal env value');
      expect(failing(await lab.grade('rotate', 'es'))[0]).toContain('valor literal en env');
    });
  }

  it('keeping the leaked password in the new Secret is refused', async () => {
    await lab.kubectl(
      '-n',
      'shop',
      'create',
      'secret',
      'generic',
      'old-pass',
      '--from-literal=password=Winter2026!shop',
    );
    const old = JSON.parse(await lab.kubectl('-n', 'shop', 'get', 'secret', 'old-pass', '-o', 'json'));
    const current = JSON.parse(await lab.kubectl('-n', 'shop', 'get', 'secret', 'db-credentials', '-o', 'json'));
    await lab.kubectl(
      '-n',
      'shop',
      'patch',
      'secret',
      'db-credentials',
      '-p',
      JSON.stringify({ data: { password: old.data.password } }),
    );
    await lab.replace(deployment);
    expect(failing(await lab.grade('rotate'))[0]).toContain('leaked one is burnt');
    await lab.kubectl('-n', 'shop', 'patch', 'secret', 'db-credentials', '-p', JSON.stringify({ data: current.data }));
  });

  it('the password from the Secret, by secretKeyRef or as a mounted file, passes', async () => {
    await lab.replace(deployment);
    expect((await lab.grade('rotate', 'en', 10)).passed).toBe(true);
    const mounted = structuredClone(deployment);
    mounted.spec.template.spec.containers[0].env.splice(2, 1);
    mounted.spec.template.spec.containers[0].volumeMounts = [{ name: 'db', mountPath: '/etc/db', readOnly: true }];
    mounted.spec.template.spec.volumes = [{ name: 'db', secret: { secretName: 'db-credentials' } }];
    await lab.replace(mounted);
    expect((await lab.grade('rotate', 'en', 10)).passed).toBe(true);
  });
});

describe('container-escape: labelling the namespace is not enough while the escape pod runs', () => {
  const lab = labCluster('container-escape');

  it('enforce=baseline with node-debugger still running is refused; deleting it passes', async () => {
    await lab.kubectl('label', '--overwrite', 'namespace', 'ops', 'pod-security.kubernetes.io/enforce=baseline');
    expect(failing(await lab.grade('block-escape'))).toEqual([
      expect.stringContaining('Labelling the namespace does not evict existing pods'),
    ]);
    await lab.kubectl('-n', 'ops', 'delete', 'pod', 'node-debugger');
    expect((await lab.grade('block-escape', 'en', 5)).passed).toBe(true);
  });

  it('enforce=privileged is refused, and so is every quieter escape variant', async () => {
    await lab.kubectl('label', '--overwrite', 'namespace', 'ops', 'pod-security.kubernetes.io/enforce=privileged');
    const messages = failing(await lab.grade('block-escape')).join('\n');
    for (const variant of [
      'baseline or restricted',
      '/var/lib/kubelet',
      'privileged init container',
      'containerd socket',
      'hostPID',
    ])
      expect(messages).toContain(variant);
  });
});
