import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../server/cluster/embedded/cluster.ts';
import { ApiClient, protobufEnvelope, type Fields } from '../helpers/api-client.ts';

let cluster: EmbeddedCluster;
let api: ApiClient;
let anonymous: ApiClient;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bad-input-'));
  cluster = await new EmbeddedCluster({ dir }).start();
  api = new ApiClient(cluster, await cluster.credentials());
  anonymous = new ApiClient(cluster);
});
afterAll(async () => {
  api.close();
  anonymous.close();
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

const pods = '/api/v1/namespaces/default/pods';
const json = { 'content-type': 'application/json' };
const validPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'ok' },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
};

function expectStatus(
  res: { status: number; json: () => Record<string, unknown> },
  code: number,
  reason: string,
  message?: string | RegExp,
) {
  expect(res.status).toBe(code);
  const body = res.json();
  expect(body.kind).toBe('Status');
  expect(body.apiVersion).toBe('v1');
  expect(body.status).toBe('Failure');
  expect(body.code).toBe(code);
  expect(body.reason).toBe(reason);
  if (typeof message === 'string') expect(body.message).toBe(message);
  else if (message) expect(body.message).toMatch(message);
}

describe('bad input answers with the right metav1.Status', () => {
  it('malformed JSON and YAML are 400 BadRequest', async () => {
    expectStatus(
      await api.send('POST', pods, '{"apiVersion": "v1", "kind": "Pod", ', json),
      400,
      'BadRequest',
      /^couldn't get version\/kind; json parse error: /,
    );
    expectStatus(
      await api.send('POST', pods, 'apiVersion: v1\nkind: Pod\nmetadata: [\n', { 'content-type': 'application/yaml' }),
      400,
      'BadRequest',
      /^error converting YAML to JSON: yaml: /,
    );
    expectStatus(await api.send('POST', pods, '', json), 400, 'BadRequest', 'the body of the request was empty');
    expectStatus(await api.send('POST', pods, '[1,2]', json), 400, 'BadRequest', /Object 'Kind' is missing/);
  });

  it('unknown fields follow fieldValidation Strict, Warn and Ignore', async () => {
    const body = JSON.stringify({
      ...validPod,
      metadata: { name: 'strict' },
      spec: { containers: [{ name: 'c', image: 'x', imagee: 'y' }], bogus: 1 },
    });
    expectStatus(
      await api.send('POST', `${pods}?fieldValidation=Strict`, body, json),
      400,
      'BadRequest',
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee", unknown field "spec.bogus"',
    );
    const warned = await api.send('POST', `${pods}?fieldValidation=Warn`, body, json);
    expect(warned.status).toBe(201);
    expect(warned.headers.warning).toBe(
      '299 - "unknown field \\"spec.containers[0].imagee\\"", 299 - "unknown field \\"spec.bogus\\""',
    );
    expect((warned.json().spec as Record<string, unknown>).bogus).toBeUndefined();
    const ignored = await api.send('POST', `${pods}?fieldValidation=Ignore`, body.replace('strict', 'ignored'), json);
    expect(ignored.status).toBe(201);
    expect(ignored.headers.warning).toBeUndefined();
    expectStatus(
      await api.send('POST', `${pods}?fieldValidation=Loose`, body, json),
      400,
      'BadRequest',
      /fieldValidation must be one of/,
    );
  });

  it('wrong kinds, wrong types and invalid objects are rejected', async () => {
    const svc = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} });
    expectStatus(
      await api.send('POST', pods, svc, json),
      400,
      'BadRequest',
      'the API version in the data (v1) does not match the expected API version (v1)',
    );
    const wrongType = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { replicas: 'three' },
    });
    expectStatus(
      await api.send('POST', '/apis/apps/v1/namespaces/default/deployments', wrongType, json),
      400,
      'BadRequest',
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field .spec.replicas of type int64',
    );
    const invalid = await api.send(
      'POST',
      pods,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'Bad_Name' },
        spec: { containers: [{ name: 'c' }] },
      }),
      json,
    );
    expectStatus(invalid, 422, 'Invalid');
    expect(invalid.json().message).toBe(
      `Pod "Bad_Name" is invalid: [metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), spec.containers[0].image: Required value]`,
    );
    expect((invalid.json().details as { causes: unknown[] }).causes).toEqual([
      expect.objectContaining({ reason: 'FieldValueInvalid', field: 'metadata.name' }),
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' },
    ]);
  });

  it('truncated protobuf is 400 and unknown media types are 415', async () => {
    const meta: Fields = [[1, 'cm']];
    const full = protobufEnvelope('v1', 'ConfigMap', [
      [1, meta],
      [
        2,
        [
          [1, 'a'],
          [2, 'b'],
        ],
      ],
    ]);
    expectStatus(
      await api.send('POST', '/api/v1/namespaces/default/configmaps', full.subarray(0, full.length - 3), {
        'content-type': 'application/vnd.kubernetes.protobuf',
      }),
      400,
      'BadRequest',
      'unexpected EOF',
    );
    expectStatus(await api.send('POST', pods, 'x', { 'content-type': 'text/plain' }), 415, 'UnsupportedMediaType');
    expectStatus(
      await api.send('PATCH', `${pods}/ok`, '{}', { 'content-type': 'application/xml' }),
      415,
      'UnsupportedMediaType',
    );
  });

  it('a 10 MB body is refused with 413 and nothing is stored', async () => {
    const huge = JSON.stringify({
      ...validPod,
      metadata: { name: 'huge', annotations: { a: 'x'.repeat(10 * 1024 * 1024) } },
    });
    expectStatus(
      await api.send('POST', pods, huge, json),
      413,
      'RequestEntityTooLarge',
      'the server has received a request that is too large: limit is 3145728',
    );
    expectStatus(await api.send('GET', `${pods}/huge`), 404, 'NotFound', 'pods "huge" not found');
  });

  it('the control-plane namespaces cannot be deleted (NamespaceLifecycle)', async () => {
    for (const name of ['default', 'kube-system', 'kube-public']) {
      expectStatus(
        await api.send('DELETE', `/api/v1/namespaces/${name}`),
        403,
        'Forbidden',
        `namespaces "${name}" is forbidden: this namespace may not be deleted`,
      );
      const ns = (await api.send('GET', `/api/v1/namespaces/${name}`)).json() as { metadata: Record<string, unknown> };
      expect(ns.metadata.deletionTimestamp, name).toBeUndefined();
    }
    // Other namespaces are deleted as usual.
    expect((await api.send('DELETE', '/api/v1/namespaces/kube-node-lease')).status).toBe(200);
  });

  it('conflicts, not-found and unauthenticated requests', async () => {
    const created = await api.send('POST', pods, JSON.stringify(validPod), json);
    expect(created.status).toBe(201);
    expectStatus(
      await api.send('POST', pods, JSON.stringify(validPod), json),
      409,
      'AlreadyExists',
      'pods "ok" already exists',
    );
    const stale = { ...created.json(), metadata: { ...(created.json().metadata as object), resourceVersion: '1' } };
    expectStatus(
      await api.send('PUT', `${pods}/ok`, JSON.stringify(stale), json),
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods "ok": the object has been modified; please apply your changes to the latest version and try again',
    );
    expectStatus(
      await api.send('GET', '/apis/apps/v1/namespaces/default/deployments/none'),
      404,
      'NotFound',
      'deployments.apps "none" not found',
    );
    expectStatus(
      await api.send('GET', '/api/v1/nothings'),
      404,
      'NotFound',
      'the server could not find the requested resource',
    );
    // Anonymous requests are system:anonymous, authorized by RBAC (403), while a bad token is 401.
    expectStatus(
      await anonymous.send('GET', pods),
      403,
      'Forbidden',
      'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    expect((await anonymous.send('GET', '/version')).status).toBe(200);
  });
});

/** Small deterministic PRNG so a failing mutation can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(body: Buffer, random: () => number): Buffer {
  const bytes = Buffer.from(body);
  const pick = () => Math.floor(random() * bytes.length);
  switch (Math.floor(random() * 5)) {
    case 0:
      for (let i = 0; i < 1 + random() * 4; i++) bytes[pick()] = Math.floor(random() * 256);
      return bytes;
    case 1:
      return bytes.subarray(0, pick());
    case 2: {
      const at = pick();
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([Math.floor(random() * 256)]), bytes.subarray(at)]);
    }
    case 3: {
      const at = pick();
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + Math.floor(random() * 8))]);
    }
    default: {
      const a = pick();
      const b = pick();
      return Buffer.concat([bytes.subarray(0, Math.max(a, b)), bytes.subarray(Math.min(a, b))]);
    }
  }
}

describe('fuzzing request bodies', () => {
  it('survives 1,200 random mutations of valid JSON, YAML and protobuf bodies with no 5xx', async () => {
    const random = rng(20261123);
    const seeds: Array<{ path: string; type: string; body: Buffer }> = [
      {
        path: pods,
        type: 'application/json',
        body: Buffer.from(JSON.stringify({ ...validPod, metadata: { name: 'fuzz', labels: { a: 'b' } } })),
      },
      {
        path: '/apis/apps/v1/namespaces/default/deployments',
        type: 'application/yaml',
        body: Buffer.from(
          'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: fz}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: nginx}]}\n',
        ),
      },
      {
        path: '/api/v1/namespaces/default/configmaps',
        type: 'application/vnd.kubernetes.protobuf',
        body: protobufEnvelope('v1', 'ConfigMap', [
          [1, [[1, 'fz']]],
          [
            2,
            [
              [1, 'k'],
              [2, 'v'],
            ],
          ],
        ]),
      },
      {
        path: '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles',
        type: 'application/vnd.kubernetes.protobuf',
        body: protobufEnvelope('rbac.authorization.k8s.io/v1', 'Role', [
          [1, [[1, 'fz']]],
          [
            2,
            [
              [1, 'get'],
              [2, ''],
              [3, 'pods'],
            ],
          ],
        ]),
      },
    ];
    const counts = new Map<number, number>();
    for (let i = 0; i < 1200; i++) {
      const seed = seeds[i % seeds.length]!;
      const body = mutate(seed.body, random);
      const res = await api.send('POST', `${seed.path}?fieldValidation=Strict`, body, { 'content-type': seed.type });
      counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
      expect(res.status, `mutation ${i} of ${seed.type}: ${body.toString('base64')}`).toBeLessThan(500);
      if (res.status >= 400) expect(res.json().kind).toBe('Status');
      if (res.status === 201) {
        const created = res.json() as { metadata: { name: string } };
        await api.send('DELETE', `${seed.path}/${encodeURIComponent(created.metadata.name)}`);
      }
    }
    expect([...counts.keys()].every((code) => [201, 400, 404, 409, 413, 415, 422].includes(code))).toBe(true);
    expect((await api.send('GET', '/version')).status).toBe(200);
    expect((await api.send('GET', `${pods}/ok`)).status).toBe(200);
  });
});
