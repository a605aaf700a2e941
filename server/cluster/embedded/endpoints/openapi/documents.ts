import { createHash } from 'node:crypto';
import type { ResourceCatalog } from '../../registry/catalog.ts';
import type { ResourceDef } from '../../registry/types.ts';
import {
  builtinComponents,
  componentName,
  modelClassFor,
  type Schema,
} from '../../registry/openapi/builtin-schemas.ts';

/** The path of a group-version in /openapi/v3: "api/v1", "apis/apps/v1". */
export function openapiPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Component name of a custom resource kind, as kube-apiserver names it (reversed group). */
function crdComponentName(def: ResourceDef): string {
  return `${def.group.split('.').reverse().join('.')}.${def.version}.${def.kind}`;
}

export function componentNameFor(def: ResourceDef): string {
  return def.crd ? crdComponentName(def) : componentName(modelClassFor(def.group, def.version, def.kind));
}

const queryParam = (name: string, description: string, type = 'string') => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const writeParams = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
  queryParam(
    'fieldManager',
    'fieldManager is a name associated with the actor or entity that is making these changes.',
  ),
  queryParam(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
  ),
];

function operation(
  def: ResourceDef,
  action: string,
  verb: string,
  extraParams: unknown[] = [],
  requestTypes: string[] = [],
) {
  const op: Record<string, unknown> = {
    tags: [def.group ? `${def.group.replace(/\./g, '_')}_${def.version}` : `core_${def.version}`],
    description: `${verb} ${def.kind}`,
    operationId: `${action}${def.kind}`,
    parameters: extraParams,
    responses: {
      '200': {
        description: 'OK',
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${componentNameFor(def)}` } } },
      },
      '401': { description: 'Unauthorized' },
    },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, version: def.version, kind: def.kind },
  };
  if (requestTypes.length) {
    op.requestBody = {
      content: Object.fromEntries(
        requestTypes.map((t) => [t, { schema: { $ref: `#/components/schemas/${componentNameFor(def)}` } }]),
      ),
      required: true,
    };
  }
  return op;
}

function pathsFor(def: ResourceDef): Record<string, unknown> {
  const base = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  const collection = def.namespaced ? `${base}/namespaces/{namespace}/${def.plural}` : `${base}/${def.plural}`;
  const params = [{ name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }];
  const nsParam = def.namespaced
    ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }]
    : [];
  const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
  if (!def.crd) patchTypes.splice(2, 0, 'application/strategic-merge-patch+json');
  const force = queryParam('force', 'Force is going to "force" Apply requests.', 'boolean');
  const paths: Record<string, unknown> = {};
  if (def.virtual) {
    paths[collection] = { post: operation(def, 'post', 'create', writeParams, ['*/*']), parameters: nsParam };
    return paths;
  }
  paths[collection] = {
    get: operation(def, 'list', 'list or watch objects of kind'),
    post: operation(def, 'post', 'create', writeParams, ['*/*']),
    delete: operation(def, 'deletecollection', 'delete collection of'),
    parameters: nsParam,
  };
  paths[`${collection}/{name}`] = {
    get: operation(def, 'get', 'read the specified'),
    put: operation(def, 'put', 'replace the specified', writeParams, ['*/*']),
    patch: operation(def, 'patch', 'partially update the specified', [...writeParams, force], patchTypes),
    delete: operation(def, 'delete', 'delete', writeParams.slice(0, 1)),
    parameters: [...params, ...nsParam],
  };
  for (const sub of Object.keys(def.subresources ?? {})) {
    if (sub !== 'status' && sub !== 'scale') continue;
    paths[`${collection}/{name}/${sub}`] = {
      get: operation(def, 'get', `read ${sub} of the specified`),
      put: operation(def, 'put', `replace ${sub} of the specified`, writeParams, ['*/*']),
      patch: operation(def, 'patch', `partially update ${sub} of the specified`, [...writeParams, force], patchTypes),
      parameters: [...params, ...nsParam],
    };
  }
  return paths;
}

function crdSchema(def: ResourceDef): Schema {
  const schema = structuredClone(
    (def.crd?.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) as Schema,
  );
  const properties = (schema.properties ??= {}) as Record<string, Schema>;
  properties.apiVersion = {
    type: 'string',
    description: 'APIVersion defines the versioned schema of this representation of an object.',
  };
  properties.kind = {
    type: 'string',
    description: 'Kind is a string value representing the REST resource this object represents.',
  };
  properties.metadata = {
    allOf: [{ $ref: `#/components/schemas/${componentName('V1ObjectMeta')}` }],
    description: "Standard object's metadata.",
  };
  schema.type ??= 'object';
  return schema;
}

/** The OpenAPI v3 document of one group-version: paths, components, GVK extensions. */
export function groupVersionDocument(
  catalog: ResourceCatalog,
  group: string,
  version: string,
  serverVersion: string,
): Record<string, unknown> | undefined {
  const defs = catalog.inGroupVersion(group, version);
  if (defs.length === 0) return undefined;
  const builtinRoots = ['V1ObjectMeta', 'V1Status', 'V1DeleteOptions'];
  for (const def of defs) if (!def.crd) builtinRoots.push(modelClassFor(def.group, def.version, def.kind));
  if (defs.some((d) => d.subresources?.scale)) builtinRoots.push('V1Scale');
  const components: Record<string, Schema> = structuredClone(builtinComponents(builtinRoots));
  const paths: Record<string, unknown> = {};
  for (const def of defs) {
    const name = componentNameFor(def);
    if (def.crd) components[name] = crdSchema(def);
    const component = components[name];
    if (component) {
      component['x-kubernetes-group-version-kind'] = [{ group: def.group, kind: def.kind, version: def.version }];
      const props = component.properties as Record<string, Schema> | undefined;
      if (props && !def.crd) {
        // The Go types mark apiVersion/kind/metadata optional; servers document them the same way.
        for (const key of ['apiVersion', 'kind']) if (props[key]) props[key] = { ...props[key], type: 'string' };
      }
    }
    Object.assign(paths, pathsFor(def));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths,
    components: { schemas: components },
  };
}

/** GET /openapi/v3: every group-version with a content hash that changes with the document. */
export function openapiIndex(catalog: ResourceCatalog, hashOf: (group: string, version: string) => string) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, versions } of catalog.groups()) {
    for (const version of versions) {
      const path = openapiPath(group, version);
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(group, version)}` };
    }
  }
  return { paths };
}

/** Documents are shared by every cluster in the process, keyed by what they are built from. */
const documentCache = new Map<string, { body: string; hash: string } | null>();
const cacheLimit = 500;

function signature(catalog: ResourceCatalog, group: string, version: string): string {
  const defs = catalog.inGroupVersion(group, version);
  return `${group}/${version}|${defs.map((d) => (d.crd ? `${d.crd.uid}@${d.crd.resourceVersion}` : d.plural)).join(',')}`;
}

export class OpenApiCache {
  private readonly catalog: ResourceCatalog;
  private readonly serverVersion: string;

  constructor(catalog: ResourceCatalog, serverVersion: string) {
    this.catalog = catalog;
    this.serverVersion = serverVersion;
  }

  document(group: string, version: string): { body: string; hash: string } | undefined {
    const key = signature(this.catalog, group, version);
    if (!documentCache.has(key)) {
      const doc = groupVersionDocument(this.catalog, group, version, this.serverVersion);
      if (documentCache.size >= cacheLimit) documentCache.delete(documentCache.keys().next().value!);
      if (!doc) documentCache.set(key, null);
      else {
        const body = JSON.stringify(doc);
        documentCache.set(key, {
          body,
          hash: createHash('sha512').update(body).digest('hex').toUpperCase().slice(0, 128),
        });
      }
    }
    return documentCache.get(key) ?? undefined;
  }

  index(): string {
    return JSON.stringify(openapiIndex(this.catalog, (g, v) => this.document(g, v)?.hash ?? ''));
  }
}
