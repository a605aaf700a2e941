import { parse as parseYaml } from 'yaml';
import { ApplyConflictError, serverSideApply } from '../patch/managed-fields.ts';
import { modelClassFor } from '../registry/openapi/builtin-schemas.ts';
import {
  builtinTypeErrors,
  pruneUnknown,
  unknownBuiltinFields,
  unknownCustomFields,
} from '../registry/schema-validation.ts';
import { groupVersion, type ResourceDef } from '../registry/types.ts';
import type { WriteOptions } from '../registry/generic.ts';
import { selectionPredicate } from '../registry/selection.ts';
import { parseFieldSelector, parseLabelSelector, SelectorParseError } from '../storage/selectors.ts';
import type { KubeObject } from '../storage/types.ts';
import { decodeBody, mediaType, readBody } from './codec.ts';
import type { ResourceContext } from './context.ts';
import { applyPatch } from './patcher.ts';
import { applyTypedError, patchDecodeError } from './patch-decoding.ts';
import { nullsToEmpty, stringMapTypeError } from './string-maps.ts';
import { writeJson } from './response.ts';
import { errors, StatusError, successStatus } from '../api/status.ts';
import { toTable, type IncludeObject } from './tables.ts';
import { serveWatch } from './watch.ts';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The fieldManager of a write: the query parameter, else the client's name from its User-Agent. */
function fieldManager(ctx: ResourceContext): string {
  const explicit = ctx.url.searchParams.get('fieldManager');
  if (explicit) return explicit;
  const agent = ctx.req.headers['user-agent'] ?? 'unknown';
  return agent.split('/')[0] ?? 'unknown';
}

function writeOptions(ctx: ResourceContext): WriteOptions {
  const dryRun = ctx.url.searchParams.getAll('dryRun');
  for (const value of dryRun) {
    if (value !== 'All') throw errors.badRequest(`Invalid dry run value: "${value}"; supported values: "All"`);
  }
  return {
    user: ctx.user,
    dryRun: dryRun.length > 0,
    fieldManager: fieldManager(ctx),
    warnings: ctx.warnings,
    subresource: ctx.info.subresource || undefined,
  };
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

function fieldValidation(ctx: ResourceContext): FieldValidation {
  const value = ctx.url.searchParams.get('fieldValidation') ?? 'Warn';
  if (value !== 'Strict' && value !== 'Warn' && value !== 'Ignore') {
    throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${value}"`);
  }
  return value;
}

function cannotHandle(def: ResourceDef, detail: string): StatusError {
  return errors.badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${detail}`);
}

const goTypes: Record<string, string> = {
  integer: 'int64',
  number: 'float64',
  string: 'string',
  boolean: 'bool',
  object: 'map[string]interface {}',
  array: '[]interface {}',
};

/** Unknown fields and type errors, handled per fieldValidation as the API server's decoder does. */
function checkFields(ctx: ResourceContext, object: KubeObject, mode: FieldValidation): void {
  const def = ctx.def;
  if (!def.crd) {
    const mapError = stringMapTypeError(def.kind, object);
    if (mapError) throw cannotHandle(def, mapError);
    nullsToEmpty(def.kind, object as unknown as Obj);
    const typeErrors = builtinTypeErrors(object, modelClassFor(def.group, def.version, def.kind));
    if (typeErrors.length) {
      const e = typeErrors[0]!;
      const actual = Array.isArray(e.value)
        ? 'array'
        : e.value === null
          ? 'null'
          : typeof e.value === 'number'
            ? 'number'
            : typeof e.value;
      throw cannotHandle(
        def,
        `json: cannot unmarshal ${actual} into Go struct field .${e.path} of type ${goTypes[e.expected ?? ''] ?? e.expected}`,
      );
    }
  }
  const unknown = def.crd
    ? def.crd.schema
      ? unknownCustomFields(object, def.crd.schema)
      : []
    : (unknownBuiltinFields(object, modelClassFor(def.group, def.version, def.kind)) ?? []);
  if (unknown.length === 0) return;
  if (mode === 'Strict')
    throw cannotHandle(def, `strict decoding error: ${unknown.map((p) => `unknown field "${p}"`).join(', ')}`);
  if (mode === 'Warn') for (const p of unknown) ctx.warnings.push(`unknown field "${p}"`);
  pruneUnknown(object as unknown as Obj, unknown);
}

/** Decodes and checks a full object body for create and update. */
async function readObject(ctx: ResourceContext): Promise<KubeObject> {
  const body = await readBody(ctx.req);
  const parsed = decodeBody(body, ctx.req.headers['content-type']);
  const def = ctx.def;
  if (!isObject(parsed))
    throw errors.badRequest(`Object 'Kind' is missing in '${body.toString('utf8').slice(0, 200)}'`);
  // The decoder defaults a missing apiVersion or kind from the endpoint (python-kubernetes sends neither).
  parsed.kind ||= def.kind;
  parsed.apiVersion ||= groupVersion(def);
  if (parsed.apiVersion !== groupVersion(def) || parsed.kind !== def.kind) {
    throw errors.badRequest(
      `the API version in the data (${String(parsed.apiVersion)}) does not match the expected API version (${groupVersion(def)})`,
    );
  }
  if (parsed.metadata !== undefined && !isObject(parsed.metadata)) {
    throw cannotHandle(
      def,
      `json: cannot unmarshal ${Array.isArray(parsed.metadata) ? 'array' : typeof parsed.metadata} into Go struct field ${def.kind}.metadata of type v1.ObjectMeta`,
    );
  }
  const object = { ...parsed, metadata: (parsed.metadata as Obj) ?? {} } as KubeObject;
  checkFields(ctx, object, fieldValidation(ctx));
  return object;
}

function listSelectors(ctx: ResourceContext) {
  try {
    const label = ctx.url.searchParams.get('labelSelector');
    const fieldSel = ctx.url.searchParams.get('fieldSelector');
    return {
      labelSelector: label ? parseLabelSelector(label) : undefined,
      fieldSelector: fieldSel ? parseFieldSelector(fieldSel) : undefined,
    };
  } catch (error) {
    if (error instanceof SelectorParseError) throw errors.badRequest(error.message);
    throw error;
  }
}

function includeObject(ctx: ResourceContext): IncludeObject {
  const value = ctx.url.searchParams.get('includeObject') ?? 'Metadata';
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

/** Objects in lists carry no kind/apiVersion, as in kube-apiserver's responses. */
function listItem(object: KubeObject): Obj {
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

export function handleGet(ctx: ResourceContext): void {
  const object = inVersion(ctx, ctx.cluster.registry.get(ctx.def, ctx.namespace, ctx.info.name));
  if (ctx.accept.table) {
    writeJson(
      ctx.res,
      200,
      toTable(ctx.def, [object], { resourceVersion: object.metadata.resourceVersion }, includeObject(ctx)),
      ctx.warnings,
    );
    return;
  }
  writeJson(ctx.res, 200, object, ctx.warnings);
}

/** The object in the request's version (see Strategy.toVersion). */
function inVersion(ctx: ResourceContext, object: KubeObject): KubeObject {
  return ctx.def.strategy.toVersion ? ctx.def.strategy.toVersion(object) : object;
}

interface ContinueToken {
  rv: number;
  start: string;
}

export function handleList(ctx: ResourceContext): void {
  const { def } = ctx;
  const namespace = def.namespaced && ctx.info.namespace ? ctx.namespace : undefined;
  let items = ctx.cluster.registry.list(def, namespace, listSelectors(ctx)).map((o) => inVersion(ctx, o));
  const resourceVersion = String(ctx.cluster.store.resourceVersion);
  const metadata: Obj = { resourceVersion };
  const limit = Number(ctx.url.searchParams.get('limit') ?? 0);
  const continueParam = ctx.url.searchParams.get('continue');
  const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  if (continueParam) {
    let token: ContinueToken;
    try {
      token = JSON.parse(Buffer.from(continueParam, 'base64url').toString('utf8')) as ContinueToken;
      if (typeof token.start !== 'string') throw new Error('bad token');
    } catch {
      throw errors.badRequest(
        'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
      );
    }
    items = items.filter((o) => keyOf(o) > token.start);
  }
  if (limit > 0 && items.length > limit) {
    items = items.slice(0, limit);
    const last = items[items.length - 1]!;
    metadata.continue = Buffer.from(JSON.stringify({ rv: Number(resourceVersion), start: keyOf(last) })).toString(
      'base64url',
    );
    metadata.remainingItemCount = ctx.cluster.registry
      .list(def, namespace, listSelectors(ctx))
      .filter((o) => keyOf(o) > keyOf(last)).length;
  }
  if (ctx.accept.table) {
    writeJson(ctx.res, 200, toTable(def, items, metadata, includeObject(ctx)), ctx.warnings);
    return;
  }
  writeJson(
    ctx.res,
    200,
    { kind: def.listKind, apiVersion: groupVersion(def), metadata, items: items.map(listItem) },
    ctx.warnings,
  );
}

export function handleWatch(ctx: ResourceContext): void {
  const { def } = ctx;
  const selectors = listSelectors(ctx);
  const namespace = def.namespaced && ctx.info.namespace ? ctx.namespace : undefined;
  const singleName = ctx.info.name;
  // Checked before the stream starts, so a bad selector is a 400, not a broken stream.
  const selected = selectionPredicate(def, selectors);
  const matches = (o: KubeObject) => (!singleName || o.metadata.name === singleName) && selected(o);
  const timeout = Number(ctx.url.searchParams.get('timeoutSeconds') ?? 1800);
  const include = includeObject(ctx);
  serveWatch(
    ctx.req,
    ctx.res,
    ctx.cluster.store,
    def,
    {
      namespace,
      resourceVersion: ctx.url.searchParams.get('resourceVersion') ?? '',
      timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? Math.min(timeout, 3600) : 1800,
      allowBookmarks: ctx.url.searchParams.get('allowWatchBookmarks') === 'true',
      matches,
      encode: (o, first) => {
        const object = def.crd ? { ...o, apiVersion: groupVersion(def) } : o;
        return ctx.accept.table
          ? toTable(def, [object], { resourceVersion: object.metadata.resourceVersion }, include, first)
          : object;
      },
      initial: () =>
        ctx.cluster.registry
          .list(def, namespace, selectors)
          .filter((o) => !singleName || o.metadata.name === singleName),
    },
    ctx.cluster.trackLongRunning,
  );
}

/** Whether one object passes the request's label and field selectors. */
export async function handleCreate(ctx: ResourceContext): Promise<void> {
  const object = await readObject(ctx);
  if (ctx.info.name) throw errors.methodNotSupported({ group: ctx.def.group, resource: ctx.def.plural }, 'create');
  const created = await ctx.cluster.registry.create(ctx.def, ctx.namespace, object, writeOptions(ctx));
  writeJson(ctx.res, 201, inVersion(ctx, created), ctx.warnings);
}

export async function handleUpdate(ctx: ResourceContext): Promise<void> {
  const object = await readObject(ctx);
  const updated = await ctx.cluster.registry.update(ctx.def, ctx.namespace, ctx.info.name, object, writeOptions(ctx));
  writeJson(ctx.res, 200, inVersion(ctx, updated), ctx.warnings);
}

const patchTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'application/apply-patch+cbor',
];

export async function handlePatch(ctx: ResourceContext): Promise<void> {
  const { def } = ctx;
  const type = mediaType(ctx.req.headers['content-type']);
  const supported = def.crd ? patchTypes.filter((t) => !t.includes('strategic')) : patchTypes;
  if (!supported.includes(type) || type === 'application/apply-patch+cbor') {
    throw errors.unsupportedMediaType(
      type,
      supported.filter((t) => !t.includes('cbor')),
    );
  }
  const body = (await readBody(ctx.req)).toString('utf8');
  const options = writeOptions(ctx);
  const mode = fieldValidation(ctx);
  const gr = { group: def.group, resource: def.plural };

  if (type === 'application/apply-patch+yaml') {
    if (!ctx.url.searchParams.get('fieldManager'))
      throw errors.badRequest(
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    let applied: unknown;
    try {
      applied = parseYaml(body);
    } catch (error) {
      throw errors.badRequest(
        `error decoding YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      );
    }
    if (!isObject(applied)) throw errors.badRequest('error decoding YAML: object expected');
    const config = applied as KubeObject;
    if (config.apiVersion !== groupVersion(def) || config.kind !== def.kind) {
      throw errors.badRequest(
        `the API version in the data (${String(config.apiVersion)}) does not match the expected API version (${groupVersion(def)})`,
      );
    }
    config.metadata ??= {};
    if (config.metadata.name && config.metadata.name !== ctx.info.name) {
      throw errors.badRequest(
        `the name of the object (${config.metadata.name}) does not match the name on the URL (${ctx.info.name})`,
      );
    }
    if (!def.crd) {
      const typedError = applyTypedError(
        def.kind,
        config as unknown as Obj,
        `${def.group}/${def.version}, Kind=${def.kind}`,
      );
      if (typedError) throw typedError;
    }
    checkFields(ctx, config, mode);
    let existing: KubeObject | undefined;
    try {
      existing = ctx.cluster.registry.get(def, ctx.namespace, ctx.info.name);
    } catch (error) {
      if (!(error instanceof StatusError && error.code === 404)) throw error;
    }
    const force = ctx.url.searchParams.get('force') === 'true';
    let merged: KubeObject;
    try {
      merged = serverSideApply(existing, config, options.fieldManager, force, !def.crd);
    } catch (error) {
      if (error instanceof ApplyConflictError) {
        const status = errors.conflict(gr, ctx.info.name, '').status;
        status.message = error.message;
        status.details = {
          causes: error.conflicts.map((c) => ({
            reason: 'FieldManagerConflict',
            message: `conflict with "${c.manager}" using ${c.apiVersion}`,
            field: c.path,
          })),
        };
        throw new StatusError(status);
      }
      throw error;
    }
    merged.metadata.name = ctx.info.name;
    if (!existing) {
      const created = await ctx.cluster.registry.create(def, ctx.namespace, merged, {
        ...options,
        managedFieldsComputed: true,
      });
      writeJson(ctx.res, 201, inVersion(ctx, created), ctx.warnings);
      return;
    }
    const updated = await ctx.cluster.registry.update(
      def,
      ctx.namespace,
      ctx.info.name,
      merged,
      { ...options, managedFieldsComputed: true },
      existing,
    );
    writeJson(ctx.res, 200, inVersion(ctx, updated), ctx.warnings);
    return;
  }

  const existing = ctx.cluster.registry.get(def, ctx.namespace, ctx.info.name);
  const patched = applyPatch(type, body, existing, { group: def.group, kind: def.kind, name: ctx.info.name });
  if (!isObject(patched)) throw errors.badRequest('patched object is not a JSON object');
  const object = patched as KubeObject;
  if (!isObject(object.metadata)) object.metadata = {};
  if (!def.crd) {
    const decodeError = patchDecodeError(def.kind, type, object, JSON.parse(body));
    if (decodeError) throw decodeError;
  }
  checkFields(ctx, object, mode);
  const updated = await ctx.cluster.registry.update(def, ctx.namespace, ctx.info.name, object, options, existing);
  writeJson(ctx.res, 200, inVersion(ctx, updated), ctx.warnings);
}

async function readDeleteOptions(ctx: ResourceContext): Promise<Obj> {
  const body = await readBody(ctx.req);
  if (body.length === 0) return {};
  const parsed = decodeBody(body, ctx.req.headers['content-type'] ?? 'application/json');
  return isObject(parsed) ? parsed : {};
}

export async function handleDelete(ctx: ResourceContext): Promise<void> {
  const deleteOptions = await readDeleteOptions(ctx);
  const preconditions = (deleteOptions.preconditions as { uid?: string; resourceVersion?: string }) ?? {};
  const options = writeOptions(ctx);
  if (Array.isArray(deleteOptions.dryRun) && deleteOptions.dryRun.includes('All')) options.dryRun = true;
  const deleted = await ctx.cluster.registry.delete(ctx.def, ctx.namespace, ctx.info.name, options, preconditions);
  const propagation = String(deleteOptions.propagationPolicy ?? '');
  if (propagation === 'Orphan' && !options.dryRun) orphanDependents(ctx, deleted);
  if (deleted.metadata.deletionTimestamp) {
    writeJson(ctx.res, 200, deleted, ctx.warnings);
    return;
  }
  writeJson(
    ctx.res,
    200,
    ctx.def.group === '' && ctx.def.plural === 'pods'
      ? deleted
      : successStatus({
          name: ctx.info.name,
          group: ctx.def.group || undefined,
          kind: ctx.def.plural,
          uid: deleted.metadata.uid,
        }),
    ctx.warnings,
  );
}

/** Orphan propagation: dependents lose their owner reference instead of being collected. */
function orphanDependents(ctx: ResourceContext, owner: KubeObject): void {
  for (const def of ctx.cluster.catalog.all()) {
    if (def.virtual) continue;
    for (const object of ctx.cluster.registry.list(def, undefined)) {
      const refs = object.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === owner.metadata.uid)) continue;
      object.metadata.ownerReferences = refs.filter((r) => r.uid !== owner.metadata.uid);
      if (object.metadata.ownerReferences.length === 0) delete object.metadata.ownerReferences;
      ctx.cluster.registry.writeObject(def, object);
    }
  }
}

export async function handleDeleteCollection(ctx: ResourceContext): Promise<void> {
  await readDeleteOptions(ctx);
  const { def } = ctx;
  const namespace = def.namespaced && ctx.info.namespace ? ctx.namespace : undefined;
  const options = writeOptions(ctx);
  const deleted: KubeObject[] = [];
  for (const object of ctx.cluster.registry.list(def, namespace, listSelectors(ctx))) {
    deleted.push(
      await ctx.cluster.registry.delete(def, object.metadata.namespace ?? '', object.metadata.name ?? '', options),
    );
  }
  writeJson(
    ctx.res,
    200,
    {
      kind: def.listKind,
      apiVersion: groupVersion(def),
      metadata: { resourceVersion: String(ctx.cluster.store.resourceVersion) },
      items: deleted.map(listItem),
    },
    ctx.warnings,
  );
}
