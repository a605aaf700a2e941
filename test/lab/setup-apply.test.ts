import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySetup } from '../../server/lab/setup.ts';
import { KubectlHarness } from '../helpers/kubectl.ts';

/**
 * A lab's setup objects look applied, as the story of every lab says ("the team applied its
 * Deployment"): a learner who edits the manifest and runs `kubectl apply` gets no
 * missing-annotation warning, and a field they delete from the file is removed from the cluster.
 */

const deployment = (securityContext: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:1.27
${securityContext}`;

describe('lab setup objects carry their last-applied configuration', () => {
  const k = new KubectlHarness('kubectl');
  beforeAll(async () => {
    await k.start();
    const dir = join(k.home, 'lab');
    await mkdir(join(dir, 'setup'), { recursive: true });
    const privileged = '          securityContext:\n            privileged: true\n';
    await writeFile(join(dir, 'setup', 'web.yaml'), deployment(privileged));
    await applySetup(await readFile(k.kubeconfig, 'utf8'), {
      id: 'setup-test',
      dir,
      backends: ['embedded'],
      personas: [],
      addons: [],
      tools: [],
      setup: ['setup/web.yaml'],
    });
  }, 60_000);
  afterAll(() => k.stop());

  it('kubectl apply of the edited manifest warns of nothing and removes the deleted field', async () => {
    const edited = await k.file('web.yaml', deployment(''));
    const applied = await k.run(['apply', '-f', edited]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).not.toContain('missing the kubectl.kubernetes.io/last-applied-configuration');
    expect(applied.stdout).toContain('deployment.apps/web configured');
    const live = await k.run(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0]}']);
    expect(live.code, live.stderr).toBe(0);
    expect(JSON.parse(live.stdout).securityContext).toBeUndefined();
  });
});
