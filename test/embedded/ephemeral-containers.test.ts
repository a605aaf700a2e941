import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';
import { projectRoot } from '../helpers/project.ts';

const binary = kubectlBinaries(['1.33'])[0];

const registryPolicy = stringify({
  apiVersion: 'kyverno.io/v1',
  kind: 'ClusterPolicy',
  metadata: { name: 'require-trusted-registry' },
  spec: {
    rules: [
      {
        name: 'trusted-registry',
        match: { any: [{ resources: { kinds: ['Pod'] } }] },
        validate: {
          failureAction: 'Enforce',
          message: 'Images must come from registry.example.com/.',
          pattern: {
            spec: {
              '=(ephemeralContainers)': [{ image: 'registry.example.com/*' }],
              containers: [{ image: 'registry.example.com/*' }],
            },
          },
        },
      },
    ],
  },
});

/**
 * `kubectl debug` adds an ephemeral container through the pods/ephemeralcontainers subresource:
 * the only way to change spec.ephemeralContainers, and a request admission must see (it is the
 * "debug" bypass of registry policies).
 */
describe.skipIf(!binary)('pods/ephemeralcontainers through real kubectl debug', () => {
  const k = new KubectlHarness(binary?.path ?? 'kubectl');
  beforeAll(async () => {
    await k.start();
    await k.run(['apply', '-f', `${projectRoot}/server/cluster/embedded/addons/kyverno/crds.yaml`]);
    await k.cluster.settle();
    await k.run(['create', 'namespace', 'shop']);
    for (const name of ['web', 'api'])
      await k.run(['run', name, '-n', 'shop', '--image=registry.example.com/shop/web:1.0']);
  }, 60_000);
  afterAll(() => k.stop());

  it('adds an ephemeral container with kubectl debug, keeping the rest of the pod', async () => {
    const out = await k.run(['debug', '-n', 'shop', 'web', '--image=busybox:1.36', '--container=debugger']);
    expect(out.code, out.stderr).toBe(0);
    const pod = JSON.parse((await k.run(['get', 'pod', 'web', '-n', 'shop', '-o', 'json'])).stdout);
    expect(pod.spec.ephemeralContainers).toEqual([
      expect.objectContaining({ name: 'debugger', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' }),
    ]);
    expect(pod.spec.containers.map((c: { image: string }) => c.image)).toEqual(['registry.example.com/shop/web:1.0']);
    // A second debugger container is appended; the first one stays.
    await k.run(['debug', '-n', 'shop', 'web', '--image=busybox:1.36', '--container=debugger-2']);
    const names = (
      await k.run(['get', 'pod', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.ephemeralContainers[*].name}'])
    ).stdout;
    expect(names).toBe('debugger debugger-2');
  });

  it('refuses ephemeral containers in a pod create, as the API server does', async () => {
    const manifest = stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'eph', namespace: 'shop' },
      spec: {
        containers: [{ name: 'app', image: 'registry.example.com/shop/web:1.0' }],
        ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36' }],
      },
    });
    const out = await k.run(['create', '-f', await k.file('eph.yaml', manifest)]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(
      'The Pod "eph" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create',
    );
  });

  it('sends the subresource update through admission: an untrusted debug image is denied', async () => {
    await k.run(['apply', '-f', await k.file('policy.yaml', registryPolicy)]);
    const denied = await k.run(['debug', '-n', 'shop', 'api', '--image=busybox:1.36', '--container=debugger']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('rule trusted-registry failed at path /spec/ephemeralContainers/0/image/');
    const allowed = await k.run([
      'debug',
      '-n',
      'shop',
      'api',
      '--image=registry.example.com/tools/debug:1.0',
      '--container=debugger',
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
  });
});
