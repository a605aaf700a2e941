import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

/** Sends one PATCH as the harness's admin (kubectl prints Invalid errors from their causes only). */
async function rawPatch(
  k: KubectlHarness,
  path: string,
  contentType: string,
  body: string,
): Promise<{ code: number; status: Record<string, unknown> }> {
  const config = parse(await readFile(k.kubeconfig, 'utf8')) as {
    clusters: Array<{ cluster: Record<string, string> }>;
    users: Array<{ user: Record<string, string> }>;
  };
  const pem = (value: string | undefined) => Buffer.from(value ?? '', 'base64');
  const user = config.users[0]!.user;
  return new Promise((resolve, reject) => {
    const req = request(
      `${k.cluster.url}${path}`,
      {
        method: 'PATCH',
        headers: { 'content-type': contentType },
        ca: pem(config.clusters[0]!.cluster['certificate-authority-data']),
        cert: pem(user['client-certificate-data']),
        key: pem(user['client-key-data']),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ code: res.statusCode ?? 0, status: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const binaries = kubectlBinaries(['1.31', '1.33']);

const pod = (name: string, container: string, podLevel = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
${podLevel}  containers:
  - name: app
    image: nginx:1.27
${container}`;

/** Field validation as pkg/apis/core/validation and pkg/apis/networking/validation write it. */
describe.skipIf(binaries.length === 0).each(binaries)('upstream validation with kubectl $version', ({ path }) => {
  const k = new KubectlHarness(path);
  beforeAll(() => k.start().then(() => undefined), 60_000);
  afterAll(() => k.stop());

  async function create(name: string, text: string): Promise<{ code: number; stderr: string; stdout: string }> {
    return k.run(['create', '-f', await k.file(`${name}.yaml`, text)]);
  }

  it('checks securityContext ranges and profiles (ValidateSecurityContext, ValidatePodSecurityContext)', async () => {
    const negative = await create(
      'negative',
      pod('negative', '    securityContext: {runAsUser: -1}\n', '  securityContext: {fsGroup: 2147483648}\n'),
    );
    expect(negative.code).toBe(1);
    expect(negative.stderr).toBe(
      'The Pod "negative" is invalid: \n* spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive\n* spec.securityContext.fsGroup: Invalid value: 2147483648: must be between 0 and 2147483647, inclusive\n',
    );
    const localhost = await create(
      'localhost',
      pod('localhost', '    securityContext: {seccompProfile: {type: Localhost}}\n'),
    );
    expect(localhost.stderr).toBe(
      'The Pod "localhost" is invalid: spec.containers[0].securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost\n',
    );
    const armor = await create(
      'armor',
      pod('armor', '    securityContext: {appArmorProfile: {type: RuntimeDefault, localhostProfile: my-profile}}\n'),
    );
    expect(armor.stderr).toBe(
      'The Pod "armor" is invalid: spec.containers[0].securityContext.appArmorProfile.localhostProfile: Invalid value: "my-profile": can only be set when AppArmor type is Localhost\n',
    );
    const proc = await create('proc', pod('proc', '    securityContext: {procMount: Masked}\n'));
    expect(proc.stderr).toBe(
      'The Pod "proc" is invalid: spec.containers[0].securityContext.procMount: Unsupported value: "Masked": supported values: "Default", "Unmasked"\n',
    );
  });

  it('allows exactly one source per volume (validateVolumeSource)', async () => {
    const volumes = (list: string) => `  volumes:\n${list}`;
    const two = await create(
      'two-sources',
      pod(
        'two-sources',
        '    volumeMounts: [{name: token, mountPath: /var/run/token}]\n',
        volumes('  - name: token\n    secret: {secretName: old-token}\n    projected: {sources: []}\n'),
      ),
    );
    expect(two.code).toBe(1);
    // The volume with an error is not registered, so its mount is reported as not found too.
    expect(two.stderr).toBe(
      'The Pod "two-sources" is invalid: \n* spec.volumes[0].projected: Forbidden: may not specify more than 1 volume type\n* spec.containers[0].volumeMounts[0].name: Not found: "token"\n',
    );
    // A volume without a source is defaulted to emptyDir (SetDefaults_Volume), not refused.
    const none = await create('no-source', pod('no-source', '', volumes('  - name: nothing\n')));
    expect(none.code).toBe(0);
    const defaulted = await k.run(['get', 'pod', 'no-source', '-o', 'jsonpath={.spec.volumes[0]}']);
    expect(JSON.parse(defaulted.stdout)).toEqual({ name: 'nothing', emptyDir: {} });
    const one = await create('one-source', pod('one-source', '', volumes('  - name: tmp\n    emptyDir: {}\n')));
    expect(one.code).toBe(0);
  });

  it('refuses privileged with allowPrivilegeEscalation: false', async () => {
    const result = await create(
      'priv',
      pod('priv', '    securityContext: {privileged: true, allowPrivilegeEscalation: false}\n'),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^The Pod "priv" is invalid: spec\.containers\[0\]\.securityContext: Invalid value: \{"Capabilities":null,"Privileged":true,.*"AllowPrivilegeEscalation":false,.*\}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true\n$/,
    );
  });

  it('checks resources: requests within limits, no negative quantities (ValidateResourceRequirements)', async () => {
    const over = await create('over', pod('over', '    resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}\n'));
    expect(over.stderr).toBe(
      'The Pod "over" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1\n',
    );
    const negative = await create('neg', pod('neg', '    resources: {limits: {memory: "-1Gi"}}\n'));
    expect(negative.stderr).toContain(
      'spec.containers[0].resources.limits[memory]: Invalid value: "-1Gi": must be greater than or equal to 0',
    );
    // SetDefaults_Pod: a limit without a request sets the request.
    expect((await create('limited', pod('limited', '    resources: {limits: {cpu: 500m}}\n'))).stdout).toBe(
      'pod/limited created\n',
    );
    expect(
      (await k.run(['get', 'pod', 'limited', '-o', 'jsonpath={.spec.containers[0].resources.requests.cpu}'])).stdout,
    ).toBe('500m');
  });

  it('keeps immutable Secrets and ConfigMaps unchanged (ValidateSecretUpdate, ValidateConfigMapUpdate)', async () => {
    await create(
      'frozen',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: frozen}\nimmutable: true\nstringData: {a: b}\n',
    );
    const patched = await k.run(['patch', 'secret', 'frozen', '--type=merge', '-p', '{"stringData":{"a":"c"}}']);
    expect(patched.stderr).toBe(
      'The Secret "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set\n',
    );
    const thawed = await k.run(['patch', 'secret', 'frozen', '--type=merge', '-p', '{"immutable":false}']);
    expect(thawed.stderr).toBe(
      'The Secret "frozen" is invalid: immutable: Forbidden: field is immutable when `immutable` is set\n',
    );
    await k.run(['create', 'configmap', 'settings', '--from-literal=mode=safe']);
    await k.run(['patch', 'configmap', 'settings', '--type=merge', '-p', '{"immutable":true}']);
    const changed = await k.run(['patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"mode":"open"}}']);
    expect(changed.stderr).toBe(
      'The ConfigMap "settings" is invalid: data: Forbidden: field is immutable when `immutable` is set\n',
    );
    const retyped = await k.run(['patch', 'secret', 'frozen', '--type=merge', '-p', '{"type":"kubernetes.io/tls"}']);
    expect(retyped.stderr).toContain('type: Invalid value: "kubernetes.io/tls": field is immutable');
  });

  it('requires the keys of each Secret type (ValidateSecret)', async () => {
    const tls = await create(
      'tls',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: tls}\ntype: kubernetes.io/tls\nstringData: {tls.crt: x}\n',
    );
    expect(tls.stderr).toBe('The Secret "tls" is invalid: data[tls.key]: Required value\n');
    const docker = await create(
      'docker',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: docker}\ntype: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: "xyz"}\n',
    );
    expect(docker.stderr).toBe(
      `The Secret "docker" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'x' looking for beginning of value\n`,
    );
    const key = await create('badkey', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: badkey}\ndata: {"a b": c}\n');
    expect(key.stderr).toBe(
      `The ConfigMap "badkey" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')\n`,
    );
  });

  // Bodies are decoded into Go structs before validation: encoding/json's UnmarshalTypeError
  // (Go struct field <innermost struct>.<JSON path>), wrapped by transformDecodeError in
  // staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go as "... cannot be handled as ...".
  it('refuses non-string data, label and annotation values as decoding errors (handlers/rest.go)', async () => {
    const cm = await k.run([
      'apply',
      '-f',
      await k.file(
        'cm-number.json',
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'numbers' }, data: { a: 1 } }),
      ),
    ]);
    expect(cm.code).toBe(1);
    expect(cm.stderr).toContain(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string\n',
    );
    expect(cm.stderr).toMatch(/^Error from server \(BadRequest\): error when /);
    const secretFile = await k.file(
      'secret-bool.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: flags}\nstringData: {on: true}\n',
    );
    const secret = await k.run(['create', '-f', secretFile]);
    expect(secret.stderr).toBe(
      `Error from server (BadRequest): error when creating "${secretFile}": Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal bool into Go struct field Secret.stringData of type string\n`,
    );
    const data = await create('secret-data', 'apiVersion: v1\nkind: Secret\nmetadata: {name: bytes}\ndata: {a: 5}\n');
    expect(data.stderr).toContain('json: cannot unmarshal number into Go struct field Secret.data of type []uint8\n');
    // kubectl itself refuses top-level metadata like this before sending; other clients reach the server.
    const labelBody = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'l', labels: { tier: 3 } } };
    const raw = '/api/v1/namespaces/default/configmaps';
    const label = await k.run(['create', '--raw', raw, '-f', await k.file('label.json', JSON.stringify(labelBody))]);
    expect(label.code).toBe(1);
    expect(label.stderr).toContain(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    );
    const template = await create(
      'template-annotation',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: t}\nspec:\n  selector: {matchLabels: {app: t}}\n  template:\n    metadata: {labels: {app: t}, annotations: {replicas: 2}}\n    spec: {containers: [{name: c, image: nginx:1.27}]}\n',
    );
    expect(template.stderr).toContain(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field ObjectMeta.spec.template.metadata.annotations of type string\n',
    );
    // Nothing was stored.
    const listed = await k.run(['get', 'configmaps,secrets,deployments', '-o', 'name']);
    expect(listed.stdout).not.toMatch(/numbers|flags|bytes|configmap\/l\n|deployment.apps\/t\n/);
    expect((await k.run(['create', 'configmap', 'quoted', '--from-literal=a=1'])).code).toBe(0);
  });

  // jsonPatcher.applyPatchToCurrentObject in staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go:
  // the patched JSON (evanphx/json-patch re-marshals the top level and what the patch went into as Go
  // maps, so sorted; the rest keeps the object's Go encoding) fails to decode, which is
  // errors.NewInvalid(GroupKind{}, "", patch: Invalid value: <patched JSON>: <decoder error>).
  it('answers merge and JSON patches that leave a non-string value with 422 on "patch" (handlers/patch.go)', async () => {
    expect((await k.run(['create', 'configmap', 'merged', '--from-literal=a=x'])).code).toBe(0);
    const live = JSON.parse(
      (await k.run(['get', 'configmap', 'merged', '-o', 'json', '--show-managed-fields'])).stdout,
    ) as {
      metadata: Record<string, unknown>;
    };
    const m = live.metadata;
    // kubectl prints keys sorted; the server encodes ManagedFieldsEntry in Go struct order.
    const managedFields = (m.managedFields as Array<Record<string, unknown>>).map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: e.fieldsType,
      fieldsV1: e.fieldsV1,
    }));
    // ObjectMeta in Go struct order, as the server encodes the current object.
    const goMeta = {
      name: 'merged',
      namespace: 'default',
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
      managedFields,
    };
    const mergedJson = JSON.stringify({ apiVersion: 'v1', data: { a: 1 }, kind: 'ConfigMap', metadata: goMeta });
    const detail = 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string';
    const merge = await k.run(['patch', 'configmap', 'merged', '--type', 'merge', '-p', '{"data":{"a":1}}']);
    expect(merge.code).toBe(1);
    expect(merge.stderr).toBe(
      `The request is invalid: patch: Invalid value: ${JSON.stringify(mergedJson)}: ${detail}\n`,
    );
    const raw = await rawPatch(
      k,
      '/api/v1/namespaces/default/configmaps/merged',
      'application/merge-patch+json',
      '{"data":{"a":1}}',
    );
    const cause = `Invalid value: ${JSON.stringify(mergedJson)}: ${detail}`;
    expect(raw.code).toBe(422);
    expect(raw.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: ` "" is invalid: patch: ${cause}`,
      reason: 'Invalid',
      details: { causes: [{ reason: 'FieldValueInvalid', message: cause, field: 'patch' }] },
      code: 422,
    });
    // A JSON patch into metadata: metadata is re-marshalled as a Go map, its keys sorted.
    const labelOp = '[{"op":"add","path":"/metadata/labels","value":{"tier":3}}]';
    const json = await k.run(['patch', 'configmap', 'merged', '--type', 'json', '-p', labelOp]);
    const sortedMeta = {
      creationTimestamp: m.creationTimestamp,
      labels: { tier: 3 },
      managedFields,
      name: 'merged',
      namespace: 'default',
      resourceVersion: m.resourceVersion,
      uid: m.uid,
    };
    const patchedJson = JSON.stringify({ apiVersion: 'v1', data: { a: 'x' }, kind: 'ConfigMap', metadata: sortedMeta });
    expect(json.stderr).toBe(
      `The request is invalid: patch: Invalid value: ${JSON.stringify(patchedJson)}: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string\n`,
    );
    // Nothing was stored.
    const after = await k.run(['get', 'configmap', 'merged', '-o', 'jsonpath={.data.a} {.metadata.labels}']);
    expect(after.stdout).toBe('x ');
  });

  // applyPatchToObject in staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go: runtime's
  // unstructured converter (apimachinery/pkg/runtime/converter.go) refuses the value, and the error
  // names the patch printed with Go's %+v.
  it('answers strategic merge patches with a non-string value with 422 on "patch" (handlers/patch.go)', async () => {
    expect((await k.run(['create', 'configmap', 'strategic', '--from-literal=a=x'])).code).toBe(0);
    const data = await k.run(['patch', 'configmap', 'strategic', '-p', '{"data":{"a":1}}']);
    expect(data.code).toBe(1);
    expect(data.stderr).toBe(
      'The request is invalid: patch: Invalid value: "map[data:map[a:1]]": cannot convert int64 to string\n',
    );
    const label = await k.run([
      'patch',
      'configmap',
      'strategic',
      '--type',
      'strategic',
      '-p',
      '{"metadata":{"labels":{"tier":3}}}',
    ]);
    expect(label.stderr).toBe(
      'The request is invalid: patch: Invalid value: "map[metadata:map[labels:map[tier:3]]]": cannot convert int64 to string\n',
    );
    const raw = await rawPatch(
      k,
      '/api/v1/namespaces/default/configmaps/strategic',
      'application/strategic-merge-patch+json',
      '{"metadata":{"labels":{"tier":3}}}',
    );
    expect(raw.code).toBe(422);
    expect(raw.status).toMatchObject({
      message:
        ' "" is invalid: patch: Invalid value: "map[metadata:map[labels:map[tier:3]]]": cannot convert int64 to string',
      reason: 'Invalid',
      details: {
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "map[metadata:map[labels:map[tier:3]]]": cannot convert int64 to string',
            field: 'patch',
          },
        ],
      },
    });
    expect(raw.status.details).not.toHaveProperty('kind');
    const after = await k.run(['get', 'configmap', 'strategic', '-o', 'jsonpath={.data.a} {.metadata.labels}']);
    expect(after.stdout).toBe('x ');
  });

  // structuredMergeManager.Apply in staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/
  // structuredmerge.go: structured-merge-diff cannot type the configuration ("failed to create typed
  // patch object (<namespace>/<name>; <GVK>): <path>: expected string, got %#v"), a plain error that
  // ErrorToAPIStatus turns into a 500 without a reason.
  it('answers server-side apply with a non-string value with the typed patch error (structuredmerge.go)', async () => {
    const file = await k.file(
      'ssa-number.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: 1}\n',
    );
    const message =
      'failed to create typed patch object (default/ssa; /v1, Kind=ConfigMap): .data.a: expected string, got &value.valueUnstructured{Value:1}';
    const cm = await k.run(['apply', '--server-side', '-f', file]);
    expect(cm.code).toBe(1);
    expect(cm.stderr).toBe(`Error from server: ${message}\n`);
    const raw = await rawPatch(
      k,
      '/api/v1/namespaces/default/configmaps/ssa?fieldManager=kubectl',
      'application/apply-patch+yaml',
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa","namespace":"default"},"data":{"a":1}}',
    );
    expect(raw.code).toBe(500);
    expect(raw.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      code: 500,
    });
    // kubectl refuses top-level labels like this itself; a pod template's reach the server.
    const deployment = await k.file(
      'ssa-label.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ssa}\nspec:\n  selector: {matchLabels: {app: ssa}}\n  template:\n    metadata: {labels: {app: ssa, tier: 3}}\n    spec: {containers: [{name: c, image: nginx:1.27}]}\n',
    );
    const label = await k.run(['apply', '--server-side', '-f', deployment]);
    expect(label.stderr).toBe(
      'Error from server: failed to create typed patch object (default/ssa; apps/v1, Kind=Deployment): .spec.template.metadata.labels.tier: expected string, got &value.valueUnstructured{Value:3}\n',
    );
    const listed = await k.run(['get', 'configmaps,deployments', '-o', 'name']);
    expect(listed.stdout).not.toMatch(/\/ssa\n/);
  });

  it('checks label keys and values (ValidateLabels)', async () => {
    const result = await create(
      'labels',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: labels, labels: {"app": "-bad-"}}\n',
    );
    expect(result.stderr).toContain(
      `metadata.labels: Invalid value: "-bad-": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  });

  it('checks NetworkPolicy CIDRs, excepts and ports (pkg/apis/networking/validation)', async () => {
    const result = await create(
      'np',
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec:
  podSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/8, 10.0.1.0/24, 300.0.0.0/24]}
    ports:
    - {port: 80, endPort: 70}
    - {port: http, endPort: 90}
    - {port: 70000}
  - to:
    - ipBlock: {cidr: 10.0.0.0}
`,
    );
    expect(result.stderr).toBe(
      'The NetworkPolicy "np" is invalid: \n' +
        '* spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`\n' +
        '* spec.egress[0].to[0].ipBlock.except[2]: Invalid value: "300.0.0.0/24": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)\n' +
        '* spec.egress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`\n' +
        '* spec.egress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric\n' +
        '* spec.egress[0].ports[2].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n' +
        '* spec.egress[1].to[0].ipBlock.cidr: Invalid value: "10.0.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)\n',
    );
  });
});
