import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

/**
 * status.containerStatuses as a kubelet on containerd reports them: imageID is the repo digest
 * of the normalized reference (containerd pkg/cri/server/container_status.go takes the image's
 * RepoDigests; distribution/reference normalize.go adds docker.io/library/), and containerID is
 * "<runtime>://<64 hex id>" (kubelet pkg/kubelet/container/runtime.go ContainerID.String).
 */
const binaries = kubectlBinaries(['1.31', '1.33']);

const digest = 'sha256:' + 'ab'.repeat(32);

describe.skipIf(binaries.length === 0).each(binaries)('container statuses with kubectl $version', ({ path }) => {
  const k = new KubectlHarness(path);
  beforeAll(() => k.start().then(() => undefined), 60_000);
  afterAll(() => k.stop());

  const field = async (pod: string, jsonpath: string) =>
    (await k.run(['get', 'pod', pod, '-o', `jsonpath={.status.containerStatuses[0].${jsonpath}}`])).stdout;

  async function running(pod: string, image: string): Promise<void> {
    expect((await k.run(['run', pod, `--image=${image}`])).stdout).toBe(`pod/${pod} created\n`);
    const wait = await k.run(['wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=30s']);
    expect(wait.stdout).toBe(`pod/${pod} condition met\n`);
  }

  it('imageID is <normalized repository>@sha256:<digest>, the same for the same reference', async () => {
    await running('a', 'nginx:1.27');
    await running('b', 'nginx:1.27');
    await running('c', 'nginx:1.28');
    await running('d', 'registry.k8s.io/pause:3.10');
    await running('e', `ghcr.io/org/app@${digest}`);
    await running('f', 'bitnami/kubectl');
    const a = await field('a', 'imageID');
    expect(a).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(await field('b', 'imageID')).toBe(a);
    const c = await field('c', 'imageID');
    expect(c).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(c).not.toBe(a);
    expect(await field('d', 'imageID')).toMatch(/^registry\.k8s\.io\/pause@sha256:[0-9a-f]{64}$/);
    expect(await field('e', 'imageID')).toBe(`ghcr.io/org/app@${digest}`);
    expect(await field('f', 'imageID')).toMatch(/^docker\.io\/bitnami\/kubectl@sha256:[0-9a-f]{64}$/);
  });

  it('containerID is containerd://<64 hex>, different per pod, and kubectl describe shows both', async () => {
    const a = await field('a', 'containerID');
    expect(a).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(await field('b', 'containerID')).not.toBe(a);
    const described = (await k.run(['describe', 'pod', 'a'])).stdout;
    expect(described).toContain(`    Container ID:   ${a}\n`);
    expect(described).toContain(`    Image ID:       ${await field('a', 'imageID')}\n`);
  });
});
