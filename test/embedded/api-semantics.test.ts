import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { applyStrategicMergePatch } from '../../server/cluster/embedded/patch/strategic.ts';
import { humanDuration } from '../../server/cluster/embedded/registry/printing.ts';
import { parseLabelSelector, matchesRequirements } from '../../server/cluster/embedded/storage/selectors.ts';
import { KubeClient } from '../../server/kube/client.ts';
import { ApiClient } from '../helpers/api-client.ts';

let cluster: EmbeddedCluster;
let api: ApiClient;
const json = { 'content-type': 'application/json' };
const cms = '/api/v1/namespaces/default/configmaps';

beforeAll(async () => {
  cluster = await new EmbeddedCluster().start();
  api = new ApiClient(cluster, await cluster.credentials());
  for (const name of ['a', 'b', 'c', 'd', 'e']) {
    await api.send(
      'POST',
      cms,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, labels: { set: name < 'c' ? 'low' : 'high' } },
      }),
      json,
    );
  }
});
afterAll(async () => {
  api.close();
  await cluster.stop();
});

describe('list', () => {
  it('pages with limit and continue, counting what remains', async () => {
    const first = (await api.send('GET', `${cms}?limit=2`)).json() as {
      items: Array<{ metadata: { name: string } }>;
      metadata: { continue: string; remainingItemCount: number };
    };
    expect(first.items.map((i) => i.metadata.name)).toEqual(['a', 'b']);
    // c, d, e and the kube-root-ca.crt ConfigMap every namespace has.
    expect(first.metadata.remainingItemCount).toBe(4);
    const second = (await api.send('GET', `${cms}?limit=2&continue=${first.metadata.continue}`)).json() as typeof first;
    expect(second.items.map((i) => i.metadata.name)).toEqual(['c', 'd']);
    const bad = await api.send('GET', `${cms}?limit=2&continue=garbage`);
    expect(bad.status).toBe(400);
  });

  it('filters by label and field selectors, and rejects unknown field selectors', async () => {
    const high = (
      await api.send('GET', `${cms}?labelSelector=${encodeURIComponent('set in (high),set!=low')}`)
    ).json() as { items: Array<{ metadata: { name: string } }> };
    expect(high.items.map((i) => i.metadata.name)).toEqual(['c', 'd', 'e']);
    const byName = (await api.send('GET', `${cms}?fieldSelector=metadata.name%3Db`)).json() as typeof high;
    expect(byName.items.map((i) => i.metadata.name)).toEqual(['b']);
    const unknown = await api.send('GET', `${cms}?fieldSelector=spec.nope%3Dx`);
    expect(unknown.status).toBe(400);
  });

  it('lists items without kind and apiVersion, as kube-apiserver does', async () => {
    const list = (await api.send('GET', cms)).json() as {
      kind: string;
      apiVersion: string;
      items: Array<Record<string, unknown>>;
    };
    expect(list.kind).toBe('ConfigMapList');
    expect(list.apiVersion).toBe('v1');
    expect(list.items[0]!.kind).toBeUndefined();
  });
});

describe('watch', () => {
  it('resumes from a resourceVersion and answers 410 Gone through an ERROR event when too old', async () => {
    const rv = Number(((await api.send('GET', cms)).json().metadata as { resourceVersion: string }).resourceVersion);
    await api.send('DELETE', `${cms}/e`);
    const resumed = await api.send('GET', `${cms}?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
    const events = resumed.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['DELETED e']);
    // Write past the history window, then ask for the start.
    for (let i = 0; i < 2100; i++)
      cluster.store.put('configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'churn', namespace: 'default' },
      });
    const gone = await api.send('GET', `${cms}?watch=true&resourceVersion=2&timeoutSeconds=1`);
    const event = JSON.parse(gone.text.trim()) as {
      type: string;
      object: { code: number; reason: string; message: string };
    };
    expect(event.type).toBe('ERROR');
    expect(event.object.code).toBe(410);
    expect(event.object.reason).toBe('Expired');
    expect(event.object.message).toMatch(/^too old resource version: 2 \(\d+\)$/);
  });
});

describe('watch selectors', () => {
  const events = (text: string) =>
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as { type: string; object: { metadata: { name: string; labels?: Record<string, string> } } },
      )
      .map((e) => `${e.type} ${e.object.metadata.name} app=${e.object.metadata.labels?.app ?? ''}`);
  const relabel = (name: string, app: string) =>
    api.send('PATCH', `${cms}/${name}`, JSON.stringify({ metadata: { labels: { app } } }), {
      'content-type': 'application/merge-patch+json',
    });

  it('answers 400 before streaming for an unknown field selector, with or without a resourceVersion', async () => {
    const rv = ((await api.send('GET', cms)).json().metadata as { resourceVersion: string }).resourceVersion;
    for (const query of ['watch=1', `watch=1&resourceVersion=${rv}`]) {
      const res = await api.send('GET', `${cms}?${query}&fieldSelector=spec.bogus%3Dx&timeoutSeconds=1`);
      expect(res.status, query).toBe(400);
      expect(res.json(), query).toMatchObject({
        kind: 'Status',
        reason: 'BadRequest',
        message: '"spec.bogus" is not a known field selector: only "metadata.name", "metadata.namespace"',
      });
    }
    // A list answers the same, even when nothing would match.
    const empty = await api.send('GET', '/api/v1/namespaces/nowhere/configmaps?fieldSelector=spec.bogus%3Dx');
    expect(empty.status).toBe(400);
  });

  it('sends DELETED when a relabel moves an object out of the label selector and ADDED when it comes back', async () => {
    await api.send(
      'POST',
      cms,
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hop', labels: { app: 'a' } } }),
      json,
    );
    const rv = ((await api.send('GET', cms)).json().metadata as { resourceVersion: string }).resourceVersion;
    // Live: the watch is open while the object is relabelled a → b → a.
    const live = api.send('GET', `${cms}?watch=1&labelSelector=app%3Da&resourceVersion=${rv}&timeoutSeconds=2`);
    await new Promise((r) => setTimeout(r, 300));
    await relabel('hop', 'b');
    await relabel('hop', 'a');
    await relabel('hop', 'a2');
    expect(events((await live).text)).toEqual(['DELETED hop app=a', 'ADDED hop app=a', 'DELETED hop app=a']);
    // Replayed from history, the same.
    const replay = await api.send('GET', `${cms}?watch=1&labelSelector=app%3Da&resourceVersion=${rv}&timeoutSeconds=1`);
    expect(events(replay.text)).toEqual(['DELETED hop app=a', 'ADDED hop app=a', 'DELETED hop app=a']);
    // An unselective watch sees plain modifications.
    const all = await api.send(
      'GET',
      `${cms}?watch=1&fieldSelector=metadata.name%3Dhop&resourceVersion=${rv}&timeoutSeconds=1`,
    );
    expect(events(all.text)).toEqual(['MODIFIED hop app=b', 'MODIFIED hop app=a', 'MODIFIED hop app=a2']);
  });
});

describe('scale subresource', () => {
  it('answers 400 "error decoding patch" to a malformed PATCH, like the main resource, and still scales', async () => {
    const deployments = '/apis/apps/v1/namespaces/default/deployments';
    await api.send(
      'POST',
      deployments,
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
          },
        },
      }),
      json,
    );
    for (const type of [
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
      'application/json-patch+json',
    ]) {
      const bad = await api.send('PATCH', `${deployments}/web/scale`, '{"spec":', { 'content-type': type });
      expect(bad.status, type).toBe(400);
      expect(bad.json(), type).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
      expect(String(bad.json().message), type).toMatch(/^error decoding patch: /);
      const main = await api.send('PATCH', `${deployments}/web`, '{"spec":', { 'content-type': type });
      expect(main.status, type).toBe(400);
    }
    const ok = await api.send('PATCH', `${deployments}/web/scale`, JSON.stringify({ spec: { replicas: 3 } }), {
      'content-type': 'application/merge-patch+json',
    });
    expect(ok.status).toBe(200);
    expect((ok.json().spec as { replicas: number }).replicas).toBe(3);
  });
});

describe('tables', () => {
  it('answers as=Table with the server-side columns and partial object metadata', async () => {
    const res = await api.send('GET', '/api/v1/namespaces?limit=500', undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    const table = res.json() as {
      kind: string;
      columnDefinitions: Array<{ name: string; priority: number }>;
      rows: Array<{ cells: unknown[]; object: { kind: string } }>;
    };
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Status', 'Age']);
    expect(table.rows[0]!.cells.slice(0, 2)).toEqual(['default', 'Active']);
    expect(table.rows[0]!.object.kind).toBe('PartialObjectMetadata');
  });
});

describe('strategic merge patch', () => {
  const pod = {
    spec: {
      containers: [
        { name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }], args: ['one', 'two'] },
        { name: 'b', image: 'b:1' },
      ],
    },
    metadata: { finalizers: ['f1'] },
  };
  it('merges lists by key and replaces atomic lists', () => {
    const out = applyStrategicMergePatch(pod, {
      spec: { containers: [{ name: 'a', image: 'a:2', env: [{ name: 'Y', value: '2' }], args: ['three'] }] },
    }) as typeof pod;
    expect(out.spec.containers).toEqual([
      {
        name: 'a',
        image: 'a:2',
        env: [
          { name: 'X', value: '1' },
          { name: 'Y', value: '2' },
        ],
        args: ['three'],
      },
      { name: 'b', image: 'b:1' },
    ]);
  });
  it('honours $patch delete, $setElementOrder, $deleteFromPrimitiveList and null', () => {
    const out = applyStrategicMergePatch(pod, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['f1'] },
      spec: {
        '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }],
        containers: [
          { name: 'a', $patch: 'delete' },
          { name: 'b', image: null },
        ],
      },
    }) as { spec: { containers: unknown[] }; metadata: { finalizers: string[] } };
    expect(out.spec.containers).toEqual([{ name: 'b' }]);
    expect(out.metadata.finalizers).toEqual([]);
  });
});

describe('helpers', () => {
  it.each([
    [0, '0s'],
    [59_000, '59s'],
    [125_000, '2m5s'],
    [10 * 60_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [30 * 3600_000, '30h'],
    [3 * 86400_000 + 3600_000, '3d1h'],
    [400 * 86400_000, '400d'],
    [3 * 365 * 86400_000, '3y'],
  ])('humanDuration(%i) = %s', (ms, text) => expect(humanDuration(ms)).toBe(text));

  it('parses label selectors like kubectl -l', () => {
    const reqs = parseLabelSelector('app=web,tier!=db,env in (prod, staging),!legacy,owner');
    expect(matchesRequirements(reqs, { app: 'web', env: 'prod', owner: 'x' })).toBe(true);
    expect(matchesRequirements(reqs, { app: 'web', env: 'prod', owner: 'x', legacy: 'y' })).toBe(false);
    expect(matchesRequirements(reqs, { app: 'web', env: 'dev', owner: 'x' })).toBe(false);
    expect(() => parseLabelSelector('a=b,(')).toThrow(/unable to parse requirement/);
  });
});

describe('ServiceAccount token Secrets', () => {
  it('fills a kubernetes.io/service-account-token Secret with a working token', async () => {
    await api.send(
      'POST',
      '/api/v1/namespaces/default/serviceaccounts',
      JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'legacy' } }),
      json,
    );
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'legacy-token', annotations: { 'kubernetes.io/service-account.name': 'legacy' } },
      type: 'kubernetes.io/service-account-token',
    };
    expect((await api.send('POST', '/api/v1/namespaces/default/secrets', JSON.stringify(secret), json)).status).toBe(
      201,
    );
    await cluster.settle();
    const stored = (await api.send('GET', '/api/v1/namespaces/default/secrets/legacy-token')).json() as {
      data: Record<string, string>;
    };
    expect(Buffer.from(stored.data.namespace!, 'base64').toString()).toBe('default');
    expect(Buffer.from(stored.data['ca.crt']!, 'base64').toString()).toBe(cluster.caPem);
    const token = Buffer.from(stored.data.token!, 'base64').toString();
    const asSa = new KubeClient({ server: cluster.url, caPem: cluster.caPem, token });
    const who = (await asSa.create('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    })) as { status: { userInfo: { username: string } } };
    expect(who.status.userInfo.username).toBe('system:serviceaccount:default:legacy');
    const missingAnnotation = await api.send(
      'POST',
      '/api/v1/namespaces/default/secrets',
      JSON.stringify({ ...secret, metadata: { name: 'orphan' } }),
      json,
    );
    expect(missingAnnotation.status).toBe(422);
    asSa.close();
  });
});
