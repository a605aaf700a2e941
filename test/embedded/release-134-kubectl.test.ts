import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

/** Kubernetes 1.34 as kubectl 1.33 and 1.31 (both within the supported skew) see it. */
const binaries = kubectlBinaries(['1.31', '1.33']);

describe.skipIf(binaries.length === 0).each(binaries)('Kubernetes 1.34 behaviour with kubectl $version', ({ path }) => {
  const k = new KubectlHarness(path);
  beforeAll(() => k.start().then(() => undefined), 60_000);
  afterAll(() => k.stop());

  it('evaluates Pod Security "latest" at v1.34 (pod-security-admission policy/check_hostProbesAndhostLifecycle.go)', async () => {
    await k.run(['create', 'namespace', 'psa134']);
    await k.run(['label', 'namespace', 'psa134', 'pod-security.kubernetes.io/enforce=baseline']);
    const pod = await k.file(
      'probe.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: psa134}
spec:
  containers:
  - name: app
    image: nginx:1.27
    livenessProbe:
      httpGet: {host: bad.host, port: 8080}
`,
    );
    const created = await k.run(['apply', '-f', pod]);
    expect(created.code).toBe(1);
    expect(created.stderr).toBe(
      `Error from server (Forbidden): error when creating "${pod}": pods "probe" is forbidden: violates PodSecurity "baseline:latest": probe or lifecycle host (container "app" uses probe or lifecycle host "bad.host")\n`,
    );
    // The same pod evaluated at v1.33 predates the check and is admitted.
    await k.run(['label', '--overwrite', 'namespace', 'psa134', 'pod-security.kubernetes.io/enforce-version=v1.33']);
    expect((await k.run(['apply', '-f', pod])).stdout).toBe('pod/probe created\n');
  });
});
