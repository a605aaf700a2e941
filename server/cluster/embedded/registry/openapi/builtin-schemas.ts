import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { listMeta } from '../../patch/merge-keys.ts';

/**
 * OpenAPI schemas of the built-in types, built on first use from the typed models that
 * @kubernetes/client-node generates from the Kubernetes OpenAPI spec: property names,
 * types, formats, required fields and descriptions. Merge keys for strategic merge
 * patch come from patch/merge-keys.ts, the same table the server's patcher uses.
 */
export type Schema = Record<string, unknown>;

const require = createRequire(import.meta.url);
const modelsDir = join(dirname(require.resolve('@kubernetes/client-node')), 'gen', 'models');

interface ParsedProperty {
  name: string;
  type: string;
  format: string;
  required: boolean;
  description: string;
}

function unescapeDoc(text: string): string {
  return text.replace(/\\(['"`])/g, '$1').trim();
}

function parseClass(className: string): { description: string; properties: ParsedProperty[] } | undefined {
  let dts: string;
  let js: string;
  try {
    dts = readFileSync(join(modelsDir, `${className}.d.ts`), 'utf8');
    js = readFileSync(join(modelsDir, `${className}.js`), 'utf8');
  } catch {
    return undefined;
  }
  const classDoc = /\/\*\*\n\* ([\s\S]*?)\n\*\/\nexport declare class/.exec(dts);
  // The models rename some JSON fields (x-kubernetes-*, $ref); the attribute map keeps the JSON name.
  const jsonNames = new Map<string, { baseName: string; format: string }>();
  for (const m of js.matchAll(
    /"name": "([^"]+)",\s*"baseName": "([^"]+)",\s*"type": "[^"]*",\s*"format": "([^"]*)"/g,
  )) {
    jsonNames.set(m[1]!, { baseName: m[2]!, format: m[3]! });
  }
  const properties: ParsedProperty[] = [];
  const body = dts.slice(dts.indexOf('export declare class'));
  for (const m of body.matchAll(/(?:\/\*\*\n\s*\* ([\s\S]*?)\n\s*\*\/\n)?\s*'([^']+)'(\??): ([^;]+(?:; \})?);\n/g)) {
    const json = jsonNames.get(m[2]!);
    properties.push({
      name: json?.baseName ?? m[2]!,
      type: m[4]!.trim(),
      format: json?.format ?? '',
      required: m[3] !== '?',
      description: unescapeDoc((m[1] ?? '').replace(/\n\s*\* ?/g, '\n')),
    });
  }
  return { description: unescapeDoc(classDoc?.[1] ?? ''), properties };
}

const cache = new Map<string, Schema>();
const classDescriptions = new Map<string, string>();

function classDescription(className: string): string {
  if (!classDescriptions.has(className)) classDescriptions.set(className, parseClass(className)?.description ?? '');
  return classDescriptions.get(className)!;
}

/** Types of k8s.io/apimachinery/pkg/apis/meta/v1 (every group uses them). */
const metaTypes = new Set([
  'V1APIGroup',
  'V1APIGroupList',
  'V1APIResource',
  'V1APIResourceList',
  'V1APIVersions',
  'V1Condition',
  'V1DeleteOptions',
  'V1GroupVersionForDiscovery',
  'V1LabelSelector',
  'V1LabelSelectorRequirement',
  'V1ListMeta',
  'V1ManagedFieldsEntry',
  'V1ObjectMeta',
  'V1OwnerReference',
  'V1Preconditions',
  'V1ServerAddressByClientCIDR',
  'V1Status',
  'V1StatusCause',
  'V1StatusDetails',
  'V1WatchEvent',
]);

/** Types an API client of one group imports from another group's package. */
const packageOverrides: Record<string, string> = {
  V1Scale: 'autoscaling',
  V1ScaleSpec: 'autoscaling',
  V1ScaleStatus: 'autoscaling',
  V1Eviction: 'policy',
  V1TopologySelectorTerm: 'core',
  V1TopologySelectorLabelRequirement: 'core',
};

/** Go package prefixes of groups outside k8s.io/api. */
const packagePrefix: Record<string, string> = {
  apiextensions: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  apiregistration: 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
};

/** The package of a client API file's prefix: "Core" core, "RbacAuthorization" rbac, "InternalApiserver" apiserverinternal. */
function packageOfPrefix(prefix: string): string {
  if (prefix === 'InternalApiserver') return 'apiserverinternal';
  return /^[A-Z][a-z]+/.exec(prefix)![0].toLowerCase();
}

/** Model classes a model class file imports (the types of its properties). */
function importedClasses(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/^import \{ (\w+) \} from '\.\.\/models\//gm)].map((m) => m[1]!);
}

let packages: Map<string, string> | undefined;

/**
 * Which Go package each unprefixed model class lives in. The generated client has one API
 * file per group-version importing its kinds; a class reachable from a group's kinds (and
 * not already core's or meta's) belongs to that group. Core goes first: every group uses it.
 */
function packageTable(): Map<string, string> {
  if (packages) return packages;
  packages = new Map(Object.entries(packageOverrides));
  const apisDir = join(dirname(modelsDir), 'apis');
  const files = readdirSync(apisDir)
    .map((f) => /^([A-Z]\w*?)V\d+(?:alpha\d+|beta\d+)?Api\.d\.ts$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(b[1] === 'Core') - Number(a[1] === 'Core') || a[0].localeCompare(b[0]));
  for (const file of files) {
    const pkg = packageOfPrefix(file[1]!);
    const pending = importedClasses(join(apisDir, file[0]));
    while (pending.length) {
      const name = pending.pop()!;
      if (metaTypes.has(name) || packages.has(name) || !/^V\d/.test(name)) continue;
      packages.set(name, pkg);
      pending.push(...importedClasses(join(modelsDir, `${name}.d.ts`)));
    }
  }
  return packages;
}

/**
 * Component name for a model class, as kube-apiserver names it after the Go package
 * ("io.k8s.api.apps.v1.Deployment", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"):
 * kubectl explain prints the last segment as the type, validation errors the whole name.
 */
export function componentName(className: string): string {
  const m = /^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/.exec(className);
  if (!m) return className;
  const version = m[2]!.toLowerCase();
  if (!m[1] && metaTypes.has(className)) return `io.k8s.apimachinery.pkg.apis.meta.${version}.${m[3]}`;
  const pkg = m[1] ? m[1].toLowerCase() : (packageTable().get(className) ?? 'core');
  return `${packagePrefix[pkg] ?? `io.k8s.api.${pkg}`}.${version}.${m[3]}`;
}

function typeSchema(type: string, format: string, pending: string[]): Schema {
  const t = type.trim();
  if (t === 'string') return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
  if (t === 'boolean') return { type: 'boolean' };
  if (t === 'number')
    return format === 'double' ? { type: 'number', format: 'double' } : { type: 'integer', format: format || 'int32' };
  if (t === 'Date') return { type: 'string', format: 'date-time' };
  if (t === 'IntOrString') return { 'x-kubernetes-int-or-string': true };
  if (t === 'any' || t === 'object') return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const array = /^Array<(.+)>$/.exec(t);
  if (array) return { type: 'array', items: typeSchema(array[1]!, '', pending) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
  if (map) return { type: 'object', additionalProperties: typeSchema(map[1]!, '', pending) };
  if (/^[A-Z]\w+$/.test(t)) {
    pending.push(t);
    return { $ref: `#/components/schemas/${componentName(t)}` };
  }
  return {};
}

/** The schema of one model class (and, through `pending`, the classes it references). */
function classSchema(className: string, pending: string[]): Schema | undefined {
  const parsed = parseClass(className);
  if (!parsed) return undefined;
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const p of parsed.properties) {
    const before = pending.length;
    let schema = typeSchema(p.type, p.format, pending);
    let description = p.description;
    if (schema.$ref) {
      schema = { allOf: [schema] };
      // The generated models drop descriptions of object-typed fields; use the type's own.
      if (!description && pending.length > before) description = classDescription(pending[pending.length - 1]!);
    }
    if (description) schema = { ...schema, description };
    if (schema.type === 'array') {
      const meta = listMeta(
        p.name,
        [className === 'V1ContainerPort' || className === 'V1Container' ? { containerPort: 1 } : { port: 1 }],
        true,
      );
      if (meta === 'set') schema['x-kubernetes-patch-strategy'] = 'merge';
      else if (
        meta &&
        !(p.name === 'ports' && !['V1Container', 'V1ServiceSpec', 'V1EphemeralContainer'].includes(className))
      ) {
        schema['x-kubernetes-patch-merge-key'] = meta.keys[0];
        schema['x-kubernetes-patch-strategy'] = 'merge';
        schema['x-kubernetes-list-type'] = 'map';
        schema['x-kubernetes-list-map-keys'] = meta.keys;
      }
    }
    properties[p.name] = schema;
    if (p.required) required.push(p.name);
  }
  const schema: Schema = { type: 'object', properties };
  if (parsed.description) schema.description = parsed.description;
  if (required.length) schema.required = required;
  return schema;
}

/** All component schemas reachable from `roots` (model class names), keyed by component name. */
export function builtinComponents(roots: string[]): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const pending = [...roots];
  while (pending.length) {
    const name = pending.pop()!;
    if (out[componentName(name)]) continue;
    let schema = cache.get(name);
    if (!schema) {
      const found: string[] = [];
      schema = classSchema(name, found);
      if (!schema) continue;
      cache.set(name, schema);
      cache.set(`${name}\u0000refs`, { refs: found });
    }
    out[componentName(name)] = schema;
    pending.push(...((cache.get(`${name}\u0000refs`)?.refs as string[]) ?? []));
  }
  return out;
}

/** The model class of a built-in kind: V1Pod, V1Deployment, CoreV1Event. */
export function modelClassFor(group: string, version: string, kind: string): string {
  if (group === '' && kind === 'Event') return 'CoreV1Event';
  const v = version.charAt(0).toUpperCase() + version.slice(1);
  return `${v}${kind}`;
}
