import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const binaries = kubectlBinaries(['1.31', '1.33']);

describe.skipIf(binaries.length === 0).each(binaries)('Deployment rollouts with kubectl $version', ({ path }) => {
  const k = new KubectlHarness(path, { podStartDelayMs: 0 });
  beforeAll(() => k.start().then(() => undefined), 60_000);
  afterAll(() => k.stop());

  const rsImages = async () =>
    (
      await k.run([
        'get',
        'rs',
        '-l',
        'app=web',
        '-o',
        'jsonpath={range .items[*]}{.metadata.annotations.deployment\\.kubernetes\\.io/revision}={.spec.template.spec.containers[0].image}:{.spec.replicas} {end}',
      ])
    ).stdout
      .trim()
      .split(' ')
      .sort();

  it('records revisions and change-cause, and undoes to the old ReplicaSet (pkg/controller/deployment, kubectl rollout)', async () => {
    await k.run(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2']);
    await k.cluster.settle();
    expect(
      (
        await k.run([
          'get',
          'deploy',
          'web',
          '-o',
          'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}',
        ])
      ).stdout,
    ).toBe('1');
    await k.run(['set', 'image', 'deployment/web', 'nginx=nginx:1.28']);
    await k.run(['annotate', 'deployment', 'web', 'kubernetes.io/change-cause=nginx 1.28']);
    await k.cluster.settle();
    expect(await rsImages()).toEqual(['1=nginx:1.27:0', '2=nginx:1.28:2']);
    // staging/src/k8s.io/kubectl/pkg/polymorphichelpers/history.go
    expect((await k.run(['rollout', 'history', 'deployment/web'])).stdout).toBe(
      'deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         nginx 1.28\n\n',
    );
    const status = await k.run(['rollout', 'status', 'deployment/web', '--timeout=10s']);
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
    expect((await k.run(['rollout', 'undo', 'deployment/web'])).stdout).toBe('deployment.apps/web rolled back\n');
    await k.cluster.settle();
    // The old ReplicaSet is reused under revision 3, with its past revision remembered.
    expect(await rsImages()).toEqual(['2=nginx:1.28:0', '3=nginx:1.27:2']);
    expect(
      (
        await k.run([
          'get',
          'rs',
          '-l',
          'app=web',
          '-o',
          'jsonpath={.items[?(@.spec.replicas==2)].metadata.annotations.deployment\\.kubernetes\\.io/revision-history}',
        ])
      ).stdout,
    ).toBe('1');
    expect(
      (
        await k.run([
          'get',
          'deploy',
          'web',
          '-o',
          'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}',
        ])
      ).stdout,
    ).toBe('nginx:1.27 3');
  });

  it('holds a paused rollout until resumed', async () => {
    expect((await k.run(['rollout', 'pause', 'deployment/web'])).stdout).toBe('deployment.apps/web paused\n');
    await k.run(['set', 'image', 'deployment/web', 'nginx=nginx:1.29']);
    await k.cluster.settle();
    expect(await rsImages()).toEqual(['2=nginx:1.28:0', '3=nginx:1.27:2']);
    const progressing = await k.run([
      'get',
      'deploy',
      'web',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}',
    ]);
    expect(progressing.stdout).toBe('DeploymentPaused');
    const undo = await k.run(['rollout', 'undo', 'deployment/web']);
    expect(undo.stderr).toBe(
      "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again\n",
    );
    expect((await k.run(['rollout', 'resume', 'deployment/web'])).stdout).toBe('deployment.apps/web resumed\n');
    await k.cluster.settle();
    expect(await rsImages()).toEqual(['2=nginx:1.28:0', '3=nginx:1.27:0', '4=nginx:1.29:2']);
  });

  it('reports ReplicaFailure when admission refuses the pods (pkg/controller/deployment/sync.go)', async () => {
    await k.run(['create', 'namespace', 'locked']);
    await k.run(['label', 'namespace', 'locked', 'pod-security.kubernetes.io/enforce=restricted']);
    await k.run(['create', 'deployment', 'loose', '--image=nginx:1.27', '-n', 'locked']);
    await k.cluster.settle();
    const condition = await k.run([
      'get',
      'deploy',
      'loose',
      '-n',
      'locked',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="ReplicaFailure")]}',
    ]);
    const failure = JSON.parse(condition.stdout) as { status: string; reason: string; message: string };
    expect(failure.status).toBe('True');
    expect(failure.reason).toBe('FailedCreate');
    expect(failure.message).toMatch(
      /^pods "loose-[a-z0-9]+-[a-z0-9]{5}" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
    );
  });
});
