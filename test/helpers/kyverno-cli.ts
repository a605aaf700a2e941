import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { AdmissionAttributes } from '../../server/cluster/embedded/registry/admission.ts';
import { builtinResources } from '../../server/cluster/embedded/registry/catalog.ts';
import type { ResourceDef } from '../../server/cluster/embedded/registry/types.ts';
import type { KubeObject } from '../../server/cluster/embedded/storage/types.ts';
import { projectRoot } from './project.ts';

type Obj = Record<string, unknown>;

/** The Kyverno CLI tests kept as conformance data (see ../shared/conformance/README.md). */
export const cliRoot = join(projectRoot, '..', 'shared', 'conformance', 'kyverno', 'kyverno-kyverno', 'test', 'cli');
export const cliPresent = existsSync(cliRoot);

export function loadDocs(path: string): Obj[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.json')) return [JSON.parse(text) as Obj];
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter((d) => d && typeof d === 'object');
}

/** Every kyverno-test.yaml under a folder, each document one test. */
export function testFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry === 'kyverno-test.yaml') out.push(path);
    }
  };
  walk(join(cliRoot, folder));
  return out;
}

export interface CliTest {
  path: string;
  dir: string;
  name: string;
  doc: Obj;
  policies: Obj[];
  resources: Obj[];
  /** context.yaml resources, clusterResources and paramResources: what lookups can read. */
  cluster: Obj[];
  exceptions: Obj[];
  values: Obj;
  userInfo?: { username: string; groups: string[] };
  jsonPayloads: Array<{ file: string; payload: Obj }>;
  results: Obj[];
}

export function loadTests(path: string): CliTest[] {
  const dir = dirname(path);
  const files = (v: unknown) => ((v as string[] | undefined) ?? []).flatMap((p) => loadDocs(join(dir, p)));
  const payloads = (v: unknown) =>
    ((v as string[] | undefined) ?? []).flatMap((p) =>
      loadDocs(join(dir, p)).map((payload) => ({ file: p.replace(/^\.\//, ''), payload })),
    );
  return loadDocs(path).map((doc) => {
    const context = doc.context ? loadDocs(join(dir, String(doc.context)))[0] : undefined;
    const values = doc.variables ? (loadDocs(join(dir, String(doc.variables)))[0] ?? {}) : {};
    const user = doc.userinfo ? loadDocs(join(dir, String(doc.userinfo)))[0] : undefined;
    return {
      path,
      dir,
      name: `${dir.slice(cliRoot.length + 1)}${doc.metadata ? ` (${String((doc.metadata as Obj).name)})` : ''}`,
      doc,
      policies: files(doc.policies),
      resources: files(doc.resources),
      cluster: [
        ...(((context?.spec as Obj | undefined)?.resources as Obj[] | undefined) ?? []),
        ...files(doc.clusterResources).flatMap((d) =>
          d.kind === 'ClusterResource' ? (((d.spec as Obj | undefined)?.resources as Obj[] | undefined) ?? []) : [d],
        ),
        ...files(doc.paramResources),
      ],
      exceptions: files(doc.exceptions),
      values,
      userInfo: user ? ((user.userInfo as CliTest['userInfo']) ?? undefined) : undefined,
      jsonPayloads: [...payloads(doc.jsonPayloads), ...payloads(doc.envoyPayloads), ...payloads(doc.httpPayloads)],
      results: (doc.results as Obj[] | undefined) ?? [],
    };
  });
}

export const clusterScoped = new Set([
  'Namespace',
  'Node',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'CustomResourceDefinition',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
]);

/** The catalog entry for a resource, or a made-up one for kinds the embedded cluster does not serve. */
export function resourceDefFor(object: Obj): ResourceDef {
  const apiVersion = String(object.apiVersion ?? 'v1');
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  const kind = String(object.kind);
  const known = builtinResources.find((d) => d.group === group && d.version === version && d.kind === kind);
  if (known) return known;
  const plural = `${kind.toLowerCase()}${kind.endsWith('s') ? 'es' : kind.endsWith('y') ? '' : 's'}`.replace(
    /ys$/,
    'ies',
  );
  return {
    group,
    version,
    kind,
    plural: kind.endsWith('y') ? `${kind.toLowerCase().slice(0, -1)}ies` : plural,
    singular: kind.toLowerCase(),
    listKind: `${kind}List`,
    namespaced: !clusterScoped.has(kind),
    verbs: [],
    strategy: {},
  };
}

/** Admission attributes for a CLI resource: CREATE by default, DELETE sends it as the old object. */
export function attributesFor(resource: Obj, operation: string, user?: CliTest['userInfo']): AdmissionAttributes {
  const def = resourceDefFor(resource);
  const meta = (resource.metadata ?? {}) as Obj;
  // The API server always sets metadata.namespace on namespaced objects.
  const object = structuredClone(resource) as unknown as KubeObject;
  if (def.namespaced) object.metadata.namespace ??= 'default';
  return {
    operation: operation as AdmissionAttributes['operation'],
    resource: def,
    subresource: '',
    namespace: def.namespaced ? String(meta.namespace ?? 'default') : '',
    name: String(meta.name ?? ''),
    object: operation === 'DELETE' ? undefined : object,
    oldObject: operation === 'DELETE' || operation === 'UPDATE' ? object : undefined,
    user: { username: user?.username ?? '', groups: user?.groups ?? [] },
    dryRun: false,
    warnings: [],
    onCommit: [],
  };
}

/** Results rows expanded to one (policy, resource) expectation each. */
export function expectations(test: CliTest): Array<{ row: Obj; ref: string }> {
  return test.results.flatMap((row) => {
    const refs = (row.resources as string[] | undefined) ?? (row.resource ? [String(row.resource)] : ['']);
    return refs.map((ref) => ({ row, ref }));
  });
}

/** The test resource a results row names ("name" or "namespace/name", of the row's kind). */
export function findResource(test: CliTest, row: Obj, ref: string): Obj | undefined {
  const [ns, name] = ref.includes('/') ? ref.split('/') : [undefined, ref];
  return test.resources.find(
    (r) =>
      (r.metadata as Obj | undefined)?.name === name &&
      (!row.kind || r.kind === row.kind) &&
      (!ns || (((r.metadata as Obj).namespace as string | undefined) ?? 'default') === ns),
  );
}

export interface FolderTally {
  folder: string;
  passed: number;
  total: number;
  failures: string[];
}

export function printTally(title: string, tallies: FolderTally[]): void {
  console.log(title);
  for (const t of tallies) {
    console.log(
      `  ${t.folder.padEnd(40)} ${t.passed}/${t.total} (${((t.passed / Math.max(1, t.total)) * 100).toFixed(0)}%)`,
    );
    for (const f of t.failures) console.log(`    FAIL ${f}`);
  }
}
