import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

const binaries = kubectlBinaries(['1.31', '1.33']);

describe.skipIf(binaries.length === 0).each(binaries)(
  '/openapi/v2, Lists and review objects with kubectl $version',
  ({ path }) => {
    const k = new KubectlHarness(path);
    beforeAll(() => k.start().then(() => undefined), 60_000);
    afterAll(() => k.stop());

    it('applies, replaces and creates the List that get -o yaml prints (kubectl validates Lists with /openapi/v2)', async () => {
      await k.run(['create', 'configmap', 'one', '--from-literal=a=1']);
      await k.run(['create', 'configmap', 'two', '--from-literal=b=2']);
      const list = await k.run(['get', 'configmaps', 'one', 'two', '-o', 'yaml']);
      expect(list.stdout).toMatch(/^apiVersion: v1\nitems:\n/);
      expect(list.stdout).toContain('kind: List\n');
      const file = await k.file('list.yaml', list.stdout);
      const applied = await k.run(['apply', '-f', file]);
      expect(applied.stdout).toBe('configmap/one configured\nconfigmap/two configured\n');
      const fresh = await k.file('fresh.yaml', (await k.run(['get', 'configmaps', 'one', 'two', '-o', 'yaml'])).stdout);
      expect((await k.run(['replace', '-f', fresh])).stdout).toBe('configmap/one replaced\nconfigmap/two replaced\n');
      await k.run(['delete', 'configmap', 'one', 'two']);
      expect((await k.run(['create', '-f', file])).stdout).toBe('configmap/one created\nconfigmap/two created\n');
    });

    it('validates List items against the /openapi/v2 definitions (staging/src/k8s.io/kubectl/pkg/validation/schema.go)', async () => {
      const file = await k.file(
        'bad-list.yaml',
        'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: bad}\n  datax: {a: b}\n',
      );
      const result = await k.run(['apply', '-f', file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `error: error validating "${file}": error validating data: ValidationError(ConfigMap): unknown field "datax" in io.k8s.api.core.v1.ConfigMap; if you choose to ignore these errors, turn validation off with --validate=false\n`,
      );
    });

    it('names /openapi/v2 definitions after their Go package (api/openapi-spec/swagger.json)', async () => {
      const doc = JSON.parse((await k.run(['get', '--raw', '/openapi/v2'])).stdout) as {
        definitions: Record<string, unknown>;
      };
      const names = Object.keys(doc.definitions);
      for (const name of [
        'io.k8s.api.apps.v1.Deployment',
        'io.k8s.api.authentication.v1.TokenReview',
        'io.k8s.api.rbac.v1.ClusterRole',
        'io.k8s.api.networking.v1.NetworkPolicy',
        'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      ])
        expect(names).toContain(name);
      expect(names).not.toContain('io.k8s.api.core.v1.TokenReview');
      expect(names).not.toContain('io.k8s.api.core.v1.ObjectMeta');
    });

    it('serves OpenAPI v3 components under their Go package names (api/openapi-spec/v3/apis__apps__v1_openapi.json)', async () => {
      const doc = JSON.parse((await k.run(['get', '--raw', '/openapi/v3/apis/apps/v1'])).stdout) as {
        components: { schemas: Record<string, unknown> };
      };
      const names = Object.keys(doc.components.schemas);
      for (const name of [
        'io.k8s.api.apps.v1.Deployment',
        'io.k8s.api.apps.v1.DeploymentSpec',
        'io.k8s.api.core.v1.PodTemplateSpec',
        'io.k8s.api.autoscaling.v1.Scale',
        'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
        'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
      ])
        expect(names).toContain(name);
      expect(names.filter((n) => n.startsWith('io.k8s.api.core.v1.Deployment'))).toEqual([]);
    });

    it('creates TokenReview and SubjectAccessReview documents with create -f (pkg/registry/authentication, pkg/registry/authorization)', async () => {
      const token = (await k.run(['create', 'token', 'default'])).stdout.trim();
      const review = await k.file(
        'tokenreview.yaml',
        `apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: ${token}\n`,
      );
      const reviewed = await k.run([
        'create',
        '-f',
        review,
        '-o',
        'jsonpath={.status.authenticated} {.status.user.username} {.status.audiences}',
      ]);
      expect(reviewed.stdout).toBe(
        'true system:serviceaccount:default:default ["https://kubernetes.default.svc.cluster.local"]',
      );
      const wrongAudience = await k.file(
        'tokenreview-vault.yaml',
        `apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: ${token}\n  audiences: [vault]\n`,
      );
      expect((await k.run(['create', '-f', wrongAudience, '-o', 'jsonpath={.status.authenticated}'])).stdout).toBe(
        'false',
      );
      await k.run(['create', 'rolebinding', 'jane-view', '--clusterrole=view', '--user=jane']);
      const sar = await k.file(
        'sar.yaml',
        'apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\nspec:\n  user: jane\n  resourceAttributes: {verb: list, resource: pods, namespace: default}\n',
      );
      expect((await k.run(['create', '-f', sar, '-o', 'jsonpath={.status.allowed}'])).stdout).toBe('true');
    });
  },
);
