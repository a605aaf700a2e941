import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const binaries = kubectlBinaries(['1.31', '1.33']);

const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
      - name: side
        image: busybox:1.36
`;

/** Server-side apply as structured-merge-diff decides it (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager). */
describe.skipIf(binaries.length === 0).each(binaries)('server-side apply with kubectl $version', ({ path }) => {
  const k = new KubectlHarness(path);
  beforeAll(() => k.start().then(() => undefined), 60_000);
  afterAll(() => k.stop());

  const managers = async () =>
    (
      await k.run([
        'get',
        'deploy',
        'web',
        '-o',
        'jsonpath={range .metadata.managedFields[*]}{.manager}:{.operation} {end}',
      ])
    ).stdout.trim();

  it('migrates a client-side applied object to server-side apply without conflicts (csaupgrade)', async () => {
    const file = await k.file('web.yaml', deployment(2));
    expect((await k.run(['apply', '-f', file])).stdout).toBe('deployment.apps/web created\n');
    const diff = await k.run(['diff', '-f', file]);
    expect({ code: diff.code, stdout: diff.stdout }).toEqual({ code: 0, stdout: '' });
    const ssa = await k.run(['apply', '--server-side', '-f', file]);
    expect(ssa.stderr).toBe('');
    expect(ssa.stdout).toBe('deployment.apps/web serverside-applied\n');
    expect(await managers()).not.toContain('kubectl-client-side-apply');
    expect(await managers()).toContain('kubectl:Apply');
    const serverDiff = await k.run(['diff', '--server-side', '-f', file]);
    expect({ code: serverDiff.code, stdout: serverDiff.stdout }).toEqual({ code: 0, stdout: '' });
  });

  it('lets a second manager co-own list items and fields it sets to the same values', async () => {
    const file = await k.file('web.yaml', deployment(2));
    const other = await k.run(['apply', '--server-side', '--field-manager=platform', '-f', file]);
    expect(other.stdout).toBe('deployment.apps/web serverside-applied\n');
    expect(await managers()).toContain('platform:Apply');
    // Changing a co-owned value conflicts with the other owner only, naming the leaf field.
    const scaled = await k.run(['apply', '--server-side', '-f', await k.file('web3.yaml', deployment(3))]);
    expect(scaled.code).toBe(1);
    expect(scaled.stderr).toMatch(
      /^error: Apply failed with 1 conflict: conflict with "platform" using apps\/v1: \.spec\.replicas\n/,
    );
    const changed = await k.run(['diff', '-f', await k.file('web3.yaml', deployment(3))]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/^- {2}replicas: 2\n\+ {2}replicas: 3$/m);
  });
});
