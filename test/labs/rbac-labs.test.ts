import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { gradeExercise } from '../../server/grading/exercise.ts';
import { loadLabs, type CatalogLab } from '../../server/labs/catalog.ts';
import { localLearner } from '../helpers/learner.ts';
import { projectRoot } from '../helpers/project.ts';

/**
 * The RBAC labs grade effect, not commands: every over-grant a learner might try (the built-in
 * `view` role, a ClusterRoleBinding, an extra verb) must fail, and every valid way to reach the
 * state must pass. One embedded cluster per lab; the real kubectl makes the changes.
 */
const run = promisify(execFile);
let labs: Map<string, CatalogLab>;
const dirs: string[] = [];

beforeAll(async () => {
  labs = await loadLabs(join(projectRoot, 'labs'));
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A session-like folder: HOME with a kubeconfig for the cluster, and a command log. */
class Workspace {
  root = '';
  home = '';
  private lines: string[] = [];

  static async create(cluster: EmbeddedCluster): Promise<Workspace> {
    const ws = new Workspace();
    ws.root = await mkdtemp(join(tmpdir(), 'rbac-lab-'));
    dirs.push(ws.root);
    ws.home = join(ws.root, 'home');
    await mkdir(join(ws.home, '.kube'), { recursive: true });
    await writeFile(join(ws.home, '.kube', 'config'), await cluster.kubeconfig());
    await mkdir(join(ws.home, '.lab'));
    await writeFile(join(ws.home, '.lab', 'commands.log'), '');
    return ws;
  }

  /** Runs a shell command with the real kubectl (`k` is its alias, as in the learner shell) and logs it. */
  async sh(command: string): Promise<string> {
    const script = `k() { kubectl "$@"; }\n${command}`;
    const { stdout } = await run('bash', ['-c', script], {
      cwd: this.home,
      env: { PATH: process.env.PATH ?? '', HOME: this.home, KUBECONFIG: join(this.home, '.kube', 'config') },
    });
    await this.log(command);
    return stdout;
  }

  /** Adds a line to the command log without running anything (a learner can write anything there). */
  async log(command: string, exit = 0): Promise<void> {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    this.lines.push(`${Date.now()}\t${exit}\t${b64(this.home)}\t${b64(command)}`);
    await writeFile(join(this.home, '.lab', 'commands.log'), `${this.lines.join('\n')}\n`);
  }
}

async function grade(labId: string, exercise: string, ws: Workspace) {
  const lab = labs.get(labId)!;
  const kubeconfig = join(ws.home, '.kube', 'config');
  const graded = { kubeconfig, learner: localLearner(ws.home, kubeconfig) };
  // RBAC changes are visible at once: no polling, so a failing check answers immediately.
  return gradeExercise(lab.definition!, lab.dir, exercise, graded, 'en', { pollSeconds: 0 });
}

const failing = (result: Awaited<ReturnType<typeof grade>>) =>
  result.results.filter((r) => !r.passed).map((r) => r.message);

describe('lab "security-basics": least-privilege grades effect', () => {
  let cluster: EmbeddedCluster;
  let ws: Workspace;
  beforeAll(async () => {
    cluster = await new EmbeddedCluster().start();
    ws = await Workspace.create(cluster);
    await ws.sh('kubectl create namespace shop && kubectl create serviceaccount ci -n shop');
  });
  afterAll(async () => {
    await cluster.stop();
  });

  /** Removes every grant made for ci so that each attempt starts from nothing. */
  async function clean(): Promise<void> {
    await ws.sh(
      'kubectl delete rolebinding,role --all -n shop --ignore-not-found >/dev/null; ' +
        'kubectl delete clusterrolebinding ci-reader --ignore-not-found >/dev/null; ' +
        'kubectl delete clusterrole pod-reader --ignore-not-found >/dev/null',
    );
  }

  it('fails when the built-in view ClusterRole is bound in shop', async () => {
    await clean();
    await ws.sh('kubectl create rolebinding ci-view --clusterrole=view --serviceaccount=shop:ci -n shop');
    const result = await grade('security-basics', 'least-privilege', ws);
    expect(result.passed).toBe(false);
    expect(failing(result)).toEqual([
      'ServiceAccount shop/ci can watch pods in namespace shop, but should not be able to.',
      'ServiceAccount shop/ci can list configmaps in namespace shop, but should not be able to.',
    ]);
  });

  it('fails with a ClusterRoleBinding, even of a role that only reads pods', async () => {
    await clean();
    await ws.sh(
      'kubectl create clusterrole pod-reader --verb=get,list --resource=pods && ' +
        'kubectl create clusterrolebinding ci-reader --clusterrole=pod-reader --serviceaccount=shop:ci',
    );
    const result = await grade('security-basics', 'least-privilege', ws);
    expect(result.passed).toBe(false);
    expect(failing(result)).toEqual([
      'ServiceAccount shop/ci can list pods in namespace default, but should not be able to.',
      'ServiceAccount shop/ci can list pods cluster-wide, but should not be able to.',
      'There is a ClusterRoleBinding for the `ci` ServiceAccount; a permission needed only in `shop` is granted with a RoleBinding in `shop`.',
    ]);
  });

  it('fails when the Role adds watch, or leaves out get', async () => {
    await clean();
    await ws.sh('k create role pod-reader --verb=get,list,watch --resource=pods -n shop');
    await ws.sh('k create rolebinding ci --role=pod-reader --serviceaccount=shop:ci -n shop');
    expect(failing(await grade('security-basics', 'least-privilege', ws))).toEqual([
      'ServiceAccount shop/ci can watch pods in namespace shop, but should not be able to.',
    ]);
    await clean();
    await ws.sh('kubectl create role pod-lister --verb=list --resource=pods -n shop');
    await ws.sh('kubectl create rolebinding ci --role=pod-lister --serviceaccount=shop:ci -n shop');
    expect(failing(await grade('security-basics', 'least-privilege', ws))).toEqual([
      'ServiceAccount shop/ci cannot get pods in namespace shop, but should be able to.',
    ]);
  });

  it('passes with a Role applied from YAML, with no kubectl create in the log', async () => {
    await clean();
    await ws.sh(
      `cat > role.yaml <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: pod-reader, namespace: shop }
rules: [{ apiGroups: [''], resources: [pods], verbs: [list, get] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: ci-pod-reader, namespace: shop }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader }
subjects: [{ kind: ServiceAccount, name: ci, namespace: shop }]
EOF
kubectl apply -f role.yaml`,
    );
    const result = await grade('security-basics', 'least-privilege', ws);
    expect(failing(result)).toEqual([]);
    expect(result.passed).toBe(true);
  });

  it.each([
    ['kubectl get serviceaccounts -n shop -o yaml > inventory.yaml'],
    ['kubectl -n shop get sa -o yaml > inventory.yaml'],
    ['k get sa --namespace=shop -o yaml > inventory.yaml'],
    ['kubectl get -o yaml --namespace shop serviceaccount > inventory.yaml'],
  ])('inventory passes when written with: %s', async (command) => {
    await rm(join(ws.home, 'inventory.yaml'), { force: true });
    await ws.sh(command);
    expect(failing(await grade('security-basics', 'inventory', ws))).toEqual([]);
  });

  it('inventory is not graded on the command log alone', async () => {
    // A matching command in the log and a hand-written file that only mentions ci.
    await ws.log('kubectl get sa -n shop -o yaml > inventory.yaml');
    await writeFile(join(ws.home, 'inventory.yaml'), 'kind: List\nitems:\n  - metadata: { name: ci }\n');
    const result = await grade('security-basics', 'inventory', ws);
    expect(result.passed).toBe(false);
    expect(result.results.map((r) => r.passed)).toEqual([true, false]);
    // The feedback explains; it never shows a regular expression.
    for (const r of result.results) expect(r.message).not.toMatch(/\\[sbw]|\(\?|\[\^|\.\*/);
  });
});

describe('lab "recon-from-a-pod": answers against the truth, fixes by effect', () => {
  let cluster: EmbeddedCluster;
  let ws: Workspace;
  beforeAll(async () => {
    cluster = await new EmbeddedCluster().start();
    ws = await Workspace.create(cluster);
    await ws.sh(`kubectl apply -f ${join(projectRoot, 'labs', 'recon-from-a-pod', 'setup', 'cluster.yaml')}`);
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('accepts any spelling of the enumeration, but needs the real table in the file', async () => {
    await writeFile(join(ws.home, 'permissions.txt'), 'secrets get list\n');
    await ws.log('k auth can-i --as system:serviceaccount:shop:storefront --list');
    expect((await grade('recon-from-a-pod', 'enumerate', ws)).results.map((r) => r.passed)).toEqual([true, false]);
    await ws.sh('k auth can-i --as system:serviceaccount:shop:storefront --list --namespace=shop > permissions.txt');
    expect((await grade('recon-from-a-pod', 'enumerate', ws)).passed).toBe(true);
  });

  it.each([
    ['kubectl --as=system:serviceaccount:shop:storefront auth can-i --list', true],
    ['k auth can-i --list -n shop --as system:serviceaccount:shop:storefront', true],
    ['kubectl --context=storefront auth can-i --list', true],
    ['kubectl auth can-i --list', false],
    ['kubectl auth can-i get secrets --as=system:serviceaccount:shop:storefront', false],
  ])('the enumeration evidence "%s" counts: %s', async (command, counts) => {
    const fresh = await Workspace.create(cluster);
    await fresh.log(command);
    expect((await grade('recon-from-a-pod', 'enumerate', fresh)).results[0]!.passed).toBe(counts);
  });

  it('grades the findings field by field without giving the answers away', async () => {
    const findings = (scope: string, grantedBy: string, password: string) =>
      writeFile(
        join(ws.home, 'findings.yaml'),
        `dangerousPermission:\n  resource: secrets\n  scope: ${scope}\n  grantedBy: ${grantedBy}\nstolenPassword: ${password}\n`,
      );
    await findings('shop', 'RoleBinding/storefront', 'hunter2');
    const wrong = await grade('recon-from-a-pod', 'findings', ws);
    expect(wrong.passed).toBe(false);
    expect(wrong.results.at(-1)!.message).toContain('dangerousPermission.scope');
    for (const r of wrong.results) {
      expect(r.message).not.toContain('storefront-support');
      expect(r.message).not.toContain('tr0ut-Ledger-4417');
      expect(r.message).not.toContain('"cluster"');
    }
    const password = await ws.sh(
      "kubectl get secret payments-db -n payments --as=system:serviceaccount:shop:storefront -o jsonpath='{.data.password}' | base64 -d",
    );
    await findings('cluster', 'ClusterRoleBinding/storefront-support', password);
    expect((await grade('recon-from-a-pod', 'findings', ws)).passed).toBe(true);
  });

  it('accepts editing the ClusterRole as the fix, and rejects deleting the ServiceAccount', async () => {
    expect((await grade('recon-from-a-pod', 'remove-permission', ws)).passed).toBe(false);
    await ws.sh(`kubectl patch clusterrole support-debug --type=json -p '[{"op":"remove","path":"/rules/1"}]'`);
    expect(failing(await grade('recon-from-a-pod', 'remove-permission', ws))).toEqual([]);
    await ws.sh('kubectl delete serviceaccount storefront -n shop');
    expect(failing(await grade('recon-from-a-pod', 'remove-permission', ws))).toEqual([
      'The `storefront` ServiceAccount is gone; the shop needs it. Remove the dangerous binding, not the account.',
    ]);
  });
});

describe('lab "least-privilege" (M5): over-grants never pass', () => {
  let cluster: EmbeddedCluster;
  let ws: Workspace;
  beforeAll(async () => {
    cluster = await new EmbeddedCluster().start();
    ws = await Workspace.create(cluster);
    await ws.sh(`kubectl apply -f ${join(projectRoot, 'labs', 'least-privilege', 'setup', 'cluster.yaml')}`);
    await ws.sh('kubectl create serviceaccount ci -n shop');
  });
  afterAll(async () => {
    await cluster.stop();
  });

  async function cleanCi(): Promise<void> {
    await ws.sh(
      'kubectl delete rolebinding ci-view ci-reader --ignore-not-found -n shop >/dev/null; ' +
        'kubectl delete clusterrolebinding ci-reader --ignore-not-found >/dev/null; ' +
        'kubectl delete clusterrole pod-reader --ignore-not-found >/dev/null',
    );
  }

  it('binding the built-in view role does not pass pod-reader', async () => {
    await cleanCi();
    await ws.sh('kubectl create rolebinding ci-view --clusterrole=view --serviceaccount=shop:ci -n shop');
    const result = await grade('least-privilege', 'pod-reader', ws);
    expect(result.passed).toBe(false);
    expect(failing(result)).toEqual([
      'ServiceAccount shop/ci can watch pods in namespace shop, but should not be able to.',
      'ServiceAccount shop/ci can list configmaps in namespace shop, but should not be able to.',
    ]);
  });

  it('a ClusterRoleBinding does not pass pod-reader, even of a role that only gets and lists pods', async () => {
    await cleanCi();
    await ws.sh(
      'kubectl create clusterrole pod-reader --verb=get,list --resource=pods && ' +
        'kubectl create clusterrolebinding ci-reader --clusterrole=pod-reader --serviceaccount=shop:ci',
    );
    const result = await grade('least-privilege', 'pod-reader', ws);
    expect(result.passed).toBe(false);
    expect(failing(result)).toEqual([
      'ServiceAccount shop/ci can list pods in namespace payments, but should not be able to.',
      'ServiceAccount shop/ci can list pods cluster-wide, but should not be able to.',
      'There is a ClusterRoleBinding for the `ci` ServiceAccount; what is needed only in `shop` is granted with a RoleBinding in `shop`.',
    ]);
    // The same ClusterRole bound with a RoleBinding in shop is the least-privilege answer.
    await cleanCi();
    await ws.sh(
      'kubectl create clusterrole pod-reader --verb=get,list --resource=pods && ' +
        'kubectl create rolebinding ci-reader --clusterrole=pod-reader --serviceaccount=shop:ci -n shop',
    );
    expect(failing(await grade('least-privilege', 'pod-reader', ws))).toEqual([]);
  });

  it('a rollout role without resourceNames, or with update, does not pass', async () => {
    await ws.sh('kubectl create role restart --verb=get,patch --resource=deployments.apps -n shop');
    await ws.sh('kubectl create rolebinding rollout --role=restart --serviceaccount=shop:rollout -n shop');
    expect(failing(await grade('least-privilege', 'restart-one-deployment', ws))).toEqual([
      'ServiceAccount shop/rollout can patch deployments.apps "api" in namespace shop, but should not be able to.',
    ]);
    await ws.sh('kubectl delete role restart -n shop');
    await ws.sh(
      'kubectl create role restart --verb=get,patch,update --resource=deployments.apps --resource-name=web -n shop',
    );
    expect(failing(await grade('least-privilege', 'restart-one-deployment', ws))).toEqual([
      'ServiceAccount shop/rollout can update deployments.apps "web" in namespace shop, but should not be able to.',
    ]);
  });

  it('keeping a wildcard on pods (exec included) does not pass no-wildcards', async () => {
    await ws.sh(
      `kubectl patch role monitoring -n shop --type=json -p '[{"op":"replace","path":"/rules","value":[{"apiGroups":[""],"resources":["pods","pods/exec","services","endpoints"],"verbs":["get","list","watch","create"]}]}]'`,
    );
    expect(failing(await grade('least-privilege', 'no-wildcards', ws))).toEqual([
      'ServiceAccount shop/metrics can create pods in namespace shop, but should not be able to.',
      'ServiceAccount shop/metrics can create pods/exec in namespace shop, but should not be able to.',
    ]);
  });
});

describe('check "access-report" on lab "rbac-audit": the truth is computed, not written down', () => {
  let cluster: EmbeddedCluster;
  let ws: Workspace;
  beforeAll(async () => {
    cluster = await new EmbeddedCluster().start();
    ws = await Workspace.create(cluster);
    await ws.sh(`kubectl apply -f ${join(projectRoot, 'labs', 'rbac-audit', 'setup', 'cluster.yaml')}`);
  });
  afterAll(async () => {
    await cluster.stop();
  });

  const report = (entries: string[]) =>
    writeFile(join(ws.home, 'secret-readers.yaml'), `subjects:\n${entries.map((e) => `  - ${e}\n`).join('')}`);
  const readers = [
    '{ kind: ServiceAccount, namespace: shop, name: payments-api }',
    '{ kind: ServiceAccount, namespace: shop, name: backup }',
    '{ kind: User, name: jane }',
    '{ kind: Group, name: shop-auditors }',
    '{ kind: ServiceAccount, namespace: monitoring, name: metrics-agent }',
    '{ kind: Group, name: system:unauthenticated }',
  ];

  it('names the wrong entries, counts the missing ones without naming them', async () => {
    await report([readers[0]!, '{ kind: User, name: bob }', '{ kind: ServiceAccount, namespace: shop, name: web }']);
    const wrong = await grade('rbac-audit', 'who-can-read', ws);
    expect(wrong.results[0]!.message).toBe(
      "According to the cluster's RBAC, these subjects in secret-readers.yaml cannot get/list/watch secrets in namespace shop: ServiceAccount shop/web, User bob.",
    );
    await report([readers[0]!, readers[1]!]);
    const short = (await grade('rbac-audit', 'who-can-read', ws)).results[0]!.message;
    expect(short).toBe(
      'secret-readers.yaml is missing 4 subject(s) that can get/list/watch secrets in namespace shop.',
    );
    for (const hidden of ['jane', 'shop-auditors', 'metrics-agent', 'unauthenticated'])
      expect(short).not.toContain(hidden);
    await report(['{ kind: Robot, name: r2 }']);
    expect((await grade('rbac-audit', 'who-can-read', ws)).results[0]!.message).toContain('lack a `kind`');
  });

  it('passes with the six readers, in any order, and follows the cluster when RBAC changes', async () => {
    await report([...readers].reverse());
    expect((await grade('rbac-audit', 'who-can-read', ws)).passed).toBe(true);
    // The truth is recomputed at each check: remove the anonymous binding and the same report is wrong.
    await ws.sh('kubectl delete rolebinding legacy-health-checker -n shop');
    const stale = await grade('rbac-audit', 'who-can-read', ws);
    expect(stale.results[0]!.message).toContain(
      'cannot get/list/watch secrets in namespace shop: Group system:unauthenticated.',
    );
    await report(readers.slice(0, 5));
    expect((await grade('rbac-audit', 'who-can-read', ws)).passed).toBe(true);
  });

  it('revoke: removing view from the auditors fails, removing only the aggregated add-on passes', async () => {
    await ws.sh('kubectl delete rolebinding auditors-view -n shop');
    await ws.sh(`kubectl apply -f ${join(projectRoot, 'labs', 'rbac-audit', 'solution', 'metrics-collector.yaml')}`);
    expect(failing(await grade('rbac-audit', 'revoke', ws))).toEqual([
      'The `shop-auditors` group can no longer see the Deployments of `shop`; it must keep `view`.',
    ]);
    await ws.sh(
      'kubectl create rolebinding auditors-view --clusterrole=view --group=shop-auditors -n shop && kubectl delete clusterrole secret-viewer-addon',
    );
    expect(failing(await grade('rbac-audit', 'revoke', ws))).toEqual([]);
  });
});

describe('lab "rbac-escalation": the attack by any name, the fix by effect', () => {
  let cluster: EmbeddedCluster;
  let ws: Workspace;
  beforeAll(async () => {
    cluster = await new EmbeddedCluster().start();
    ws = await Workspace.create(cluster);
    await ws.sh(`kubectl apply -f ${join(projectRoot, 'labs', 'rbac-escalation', 'setup', 'cluster.yaml')}`);
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('accepts the attack made with a real token in its own kubeconfig context, under any binding name', async () => {
    expect((await grade('rbac-escalation', 'escalate', ws)).passed).toBe(false);
    await ws.sh(
      'kubectl config set-credentials deployer --token="$(kubectl create token deployer -n ci)" >/dev/null && ' +
        `kubectl config set-context deployer --cluster="$(kubectl config view -o jsonpath='{.clusters[0].name}')" --user=deployer >/dev/null`,
    );
    await ws.sh(
      'k --context=deployer create clusterrolebinding sneaky --clusterrole=cluster-admin --serviceaccount=ci:deployer',
    );
    expect(failing(await grade('rbac-escalation', 'escalate', ws))).toEqual([]);
  });

  it('an incomplete fix (the rogue binding left behind) and an over-strict one (the pipeline broken) both fail', async () => {
    await ws.sh('kubectl delete clusterrolebinding ci-deployer');
    expect(failing(await grade('rbac-escalation', 'least-privilege-pipeline', ws))).toEqual([
      'The rogue ClusterRoleBinding that gives `cluster-admin` to `ci/deployer` is still there.',
      'ServiceAccount ci/deployer can bind clusterroles.rbac.authorization.k8s.io "cluster-admin" in namespace shop, but should not be able to.',
      'ServiceAccount ci/deployer can bind clusterroles.rbac.authorization.k8s.io "admin" cluster-wide, but should not be able to.',
      'ServiceAccount ci/deployer can escalate clusterroles.rbac.authorization.k8s.io cluster-wide, but should not be able to.',
      'ServiceAccount ci/deployer can escalate roles.rbac.authorization.k8s.io in namespace shop, but should not be able to.',
      'ServiceAccount ci/deployer can create clusterrolebindings.rbac.authorization.k8s.io cluster-wide, but should not be able to.',
      'ServiceAccount ci/deployer can get secrets in namespace kube-system, but should not be able to.',
      'The cluster admitted ClusterRoleBinding probe-takeover, but it should reject it.',
      'The cluster admitted RoleBinding probe-self-admin, but it should reject it.',
    ]);
    await ws.sh('kubectl delete clusterrolebinding sneaky');
    expect(failing(await grade('rbac-escalation', 'least-privilege-pipeline', ws))).toEqual([
      'The pipeline can no longer give `edit` in `shop` with a RoleBinding, which is what it is for. It needs `create` on rolebindings in `shop` and `bind` on the `edit` ClusterRole (and only on that one).',
      'ServiceAccount ci/deployer cannot create deployments.apps in namespace shop, but should be able to.',
    ]);
    await ws.sh(`kubectl apply -f ${join(projectRoot, 'labs', 'rbac-escalation', 'solution', 'deployer-rbac.yaml')}`);
    expect(failing(await grade('rbac-escalation', 'least-privilege-pipeline', ws))).toEqual([]);
  });
});
