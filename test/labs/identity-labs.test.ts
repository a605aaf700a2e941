import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { gradeExercise } from '../../server/grading/exercise.ts';
import { applySetup } from '../../server/lab/setup.ts';
import { loadLabs, type CatalogLab } from '../../server/labs/catalog.ts';
import { localLearner } from '../helpers/learner.ts';
import { projectRoot } from '../helpers/project.ts';

/**
 * The M5 token and certificate labs grade what the cluster holds and what the pods run, and
 * refuse the half-fixes learners reach for first: a ServiceAccount fixed while a pod template
 * still asks for the token, an API token mounted by hand, a certificate request without jane's
 * group, a kubeconfig context that is really the admin. The real kubectl makes every change.
 */
const run = promisify(execFile);
let labs: Map<string, CatalogLab>;
beforeAll(async () => {
  labs = await loadLabs(join(projectRoot, 'labs'));
});

/** One embedded cluster with the lab's setup, a learner HOME with ~/.kube/config, and the grader's own kubeconfig. */
function labSession(id: string) {
  const state = {
    cluster: undefined as unknown as EmbeddedCluster,
    root: '',
    home: '',
    graderKubeconfig: '',
    /** Runs a shell command in HOME as the learner would, with the real kubectl and openssl. */
    async sh(command: string): Promise<string> {
      const { stdout } = await run('bash', ['-c', command], {
        cwd: state.home,
        env: { PATH: process.env.PATH ?? '', HOME: state.home, KUBECONFIG: join(state.home, '.kube', 'config') },
      });
      return stdout;
    },
    async grade(exercise: string) {
      const lab = labs.get(id)!;
      const learner = localLearner(state.home, state.graderKubeconfig);
      // Let the controllers replace pods first; then a failing check answers at once.
      await state.cluster.settle();
      return gradeExercise(lab.definition!, lab.dir, exercise, { kubeconfig: state.graderKubeconfig, learner }, 'en', {
        pollSeconds: 0,
        backend: 'embedded',
      });
    },
  };
  beforeAll(async () => {
    state.root = await mkdtemp(join(tmpdir(), `${id}-`));
    state.home = join(state.root, 'home');
    await mkdir(join(state.home, '.kube'), { recursive: true });
    await mkdir(join(state.home, '.lab'));
    await writeFile(join(state.home, '.lab', 'commands.log'), '');
    state.cluster = await new EmbeddedCluster({ dir: join(state.root, 'cluster') }).start();
    const kubeconfig = await state.cluster.kubeconfig();
    state.graderKubeconfig = join(state.root, 'grader-kubeconfig');
    await writeFile(state.graderKubeconfig, kubeconfig);
    await writeFile(join(state.home, '.kube', 'config'), kubeconfig, { mode: 0o600 });
    const lab = labs.get(id)!;
    if (lab.definition!.addons.includes('kyverno'))
      await state.sh(`kubectl apply -f ${join(projectRoot, 'server/cluster/embedded/addons/kyverno/crds.yaml')}`);
    await applySetup(kubeconfig, lab);
  }, 60_000);
  afterAll(async () => {
    await state.cluster?.stop();
    if (state.root) await rm(state.root, { recursive: true, force: true });
  });
  return state;
}

const failing = (result: Awaited<ReturnType<ReturnType<typeof labSession>['grade']>>) =>
  result.results.filter((r) => !r.passed).map((r) => r.message);
const solution = (lab: string, file: string) => join(projectRoot, 'labs', lab, 'solution', file);

describe('lab "sa-token-hygiene": tokens graded on the objects and on the running pods', () => {
  const s = labSession('sa-token-hygiene');

  it('fails every exercise on a fresh session', async () => {
    for (const exercise of ['no-api-token', 'bound-token', 'enforce'])
      expect((await s.grade(exercise)).passed).toBe(false);
  });

  it('a ServiceAccount fixed while the pod template still asks for the token does not pass', async () => {
    await s.sh(`kubectl patch serviceaccount storefront -n shop -p '{"automountServiceAccountToken":false}'`);
    // The pod-level value wins: true here mounts the token whatever the ServiceAccount says.
    await s.sh(
      `kubectl patch deployment storefront -n shop -p '{"spec":{"template":{"spec":{"automountServiceAccountToken":true}}}}'`,
    );
    expect(failing(await s.grade('no-api-token'))).toEqual([
      "The `storefront` Deployment template does not say `automountServiceAccountToken false` (with the `storefront` ServiceAccount). The pod value wins over the ServiceAccount's; say it here too.",
      'A `storefront` pod with a ServiceAccount token mounted is still running. Existing pods do not change by themselves; have they been replaced?',
    ]);
    await s.sh(
      `kubectl patch deployment storefront -n shop -p '{"spec":{"template":{"spec":{"automountServiceAccountToken":false}}}}'`,
    );
    expect(failing(await s.grade('no-api-token'))).toEqual([]);
  });

  it('a projected token without an audience, or the old Secret kept, does not pass bound-token', async () => {
    const uploader = await readFile(solution('sa-token-hygiene', 'uploader.yaml'), 'utf8');
    const apiToken = uploader.replace('audience: vault, ', '');
    expect(apiToken).not.toBe(uploader);
    await writeFile(join(s.home, 'api-token.yaml'), apiToken);
    await s.sh('kubectl replace -f api-token.yaml');
    expect(failing(await s.grade('bound-token'))).toEqual([
      'There is still a Secret of type `kubernetes.io/service-account-token` in `shop`. That token never expires and works against the API server until the Secret is deleted.',
      'The `uploader` template does not mount exactly one projected token (`projected` → `serviceAccountToken`) with `audience: vault` and at most one hour of life (`expirationSeconds` ≤ 3600), or it still mounts a `secret` volume.',
      'An `uploader` pod with the old Secret or with a token for the API server is still running. Have the pods been replaced?',
      'There is no `uploader` pod with the Vault token mounted.',
    ]);
    await s.sh(`kubectl replace -f ${solution('sa-token-hygiene', 'uploader.yaml')}`);
    expect(failing(await s.grade('bound-token'))).toEqual([
      'There is still a Secret of type `kubernetes.io/service-account-token` in `shop`. That token never expires and works against the API server until the Secret is deleted.',
    ]);
    await s.sh('kubectl delete secret uploader-token -n shop');
    expect(failing(await s.grade('bound-token'))).toEqual([]);
  });

  it('a policy that only checks automount is bypassed by a hand-mounted API token; a cluster-wide one breaks other namespaces', async () => {
    const policy = await readFile(solution('sa-token-hygiene', 'token-hygiene.yaml'), 'utf8');
    const naive = policy.replace(
      / {4}- expression: >-\n {8}!variables\.isPod \|\| object\.spec\.\?volumes[\s\S]*?message: Every projected[^\n]*\n/,
      '',
    );
    expect(naive).not.toBe(policy);
    await writeFile(join(s.home, 'naive.yaml'), naive);
    await s.sh('kubectl apply -f naive.yaml');
    expect(failing(await s.grade('enforce'))).toEqual([
      'A pod with `automountServiceAccountToken: false` that projects a token without `audience` by hand (that is, for the API server) is admitted.',
      'A pod that projects a token with an audience but a week of life is admitted.',
    ]);
    const clusterWide = policy.replace(/ {4}namespaceSelector:\n {6}matchLabels: \{[^}]*\}\n/, '');
    expect(clusterWide).not.toBe(policy);
    await writeFile(join(s.home, 'cluster-wide.yaml'), clusterWide);
    await s.sh('kubectl apply -f cluster-wide.yaml');
    expect(failing(await s.grade('enforce'))).toEqual([
      'The rule also refuses pods outside `shop`. Limit it to that namespace; applied cluster-wide it would break the `kube-system` components that do use the API.',
    ]);
    await s.sh(`kubectl apply -f ${solution('sa-token-hygiene', 'token-hygiene.yaml')}`);
    expect(failing(await s.grade('enforce'))).toEqual([]);
  });
});

describe('lab "user-certs-csr": the certificate authenticates, RBAC allows only the team role', () => {
  const s = labSession('user-certs-csr');
  const csrYaml = async (subject: string, seconds?: number) => {
    await s.sh(`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out jane.key 2>/dev/null`);
    await s.sh(`openssl req -new -key jane.key -subj "${subject}" -out jane.csr`);
    const request = (await readFile(join(s.home, 'jane.csr'))).toString('base64');
    return `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: jane}
spec:
  request: ${request}
  signerName: kubernetes.io/kube-apiserver-client
${seconds ? `  expirationSeconds: ${seconds}\n` : ''}  usages: [client auth]
`;
  };

  it("a request without jane's group, or without an expiry, does not pass; approving is its own step", async () => {
    for (const exercise of ['request', 'approve', 'log-in-as-jane'])
      expect((await s.grade(exercise)).passed).toBe(false);
    await writeFile(join(s.home, 'csr.yaml'), await csrYaml('/CN=jane'));
    await s.sh('kubectl apply -f csr.yaml');
    expect(failing(await s.grade('request'))).toEqual([
      'The `jane` request does not limit the certificate to at most one day (`spec.expirationSeconds` ≤ 86400). A client certificate cannot be revoked: it only expires.',
      'The subject of the `jane` request is not `CN=jane` with the organisation `O=shop-devs` (and nothing else). The CN is the user name and each O a group.',
    ]);
    await s.sh('kubectl delete csr jane');
    await writeFile(join(s.home, 'csr.yaml'), await csrYaml('/CN=jane/O=shop-devs', 3600));
    await s.sh('kubectl apply -f csr.yaml');
    expect(failing(await s.grade('request'))).toEqual([]);
    expect((await s.grade('approve')).passed).toBe(false);
    await s.sh('kubectl certificate approve jane');
    expect(failing(await s.grade('approve'))).toEqual([]);
  });

  it('a jane context that is really the admin, or an edit binding, does not pass; the team role does', async () => {
    // The admin's credentials under the name jane: can-i may pass, the certificate check does not.
    await s.sh(
      'kubectl config set-context jane --cluster=$(kubectl config view --minify -o jsonpath={.clusters[0].name}) --user=$(kubectl config view --minify -o jsonpath={.users[0].name})',
    );
    await s.sh('kubectl create rolebinding jane-edit --clusterrole=edit --user=jane -n shop');
    const result = failing(await s.grade('log-in-as-jane'));
    expect(result[0]).toMatch(/^The `jane` context of your kubeconfig/);
    expect(result.slice(1)).toEqual([
      'jane can delete pods in namespace shop, but should not be able to.',
      'jane can create pods/exec in namespace shop, but should not be able to.',
      'jane can get secrets in namespace shop, but should not be able to.',
    ]);
    await s.sh('kubectl delete rolebinding jane-edit -n shop');
    await s.sh(`kubectl get csr jane -o jsonpath='{.status.certificate}' | base64 -d > jane.crt`);
    await s.sh(
      'kubectl config set-credentials jane --client-key=jane.key --client-certificate=jane.crt --embed-certs=true',
    );
    await s.sh('kubectl config set-context jane --user=jane --namespace=shop');
    // A ClusterRoleBinding of the same team role leaks it into every namespace.
    await s.sh('kubectl create clusterrolebinding shop-devs --clusterrole=view --group=shop-devs');
    expect(failing(await s.grade('log-in-as-jane'))).toEqual([
      'jane can list pods in namespace default, but should not be able to.',
    ]);
    await s.sh('kubectl delete clusterrolebinding shop-devs');
    await s.sh('kubectl create rolebinding shop-devs-pod-reader --role=pod-reader --group=shop-devs -n shop');
    expect(failing(await s.grade('log-in-as-jane'))).toEqual([]);
    expect(await s.sh('kubectl get pods --context jane -o name')).toMatch(/^pod\/web-/);
  });
});
