import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { gradeExercise } from '../../server/grading/exercise.ts';
import { loadLabs, type CatalogLab } from '../../server/labs/catalog.ts';
import { readCommandLog, workspacePaths } from '../../server/lab/workspace.ts';
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
    await writeFile(join(ws.root, 'commands.log'), '');
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
    await writeFile(join(this.root, 'commands.log'), `${this.lines.join('\n')}\n`);
  }
}

async function grade(labId: string, exercise: string, ws: Workspace) {
  const lab = labs.get(labId)!;
  const paths = workspacePaths(ws.root);
  const graded = { home: paths.home, kubeconfig: paths.kubeconfig, commands: () => readCommandLog(ws.root) };
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
