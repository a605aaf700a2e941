import { formatLabelSelector } from '../registry/printing.ts';
import { noRuntimeNote } from '../api/no-runtime.ts';
import { rfc3339 } from '../api/time.ts';
import type { KubeObject } from '../storage/types.ts';
import { decodeBody, mediaType, readBody } from './codec.ts';
import type { ResourceContext } from './context.ts';
import { applyPatch } from './patcher.ts';
import { handleGet, handlePatch, handleUpdate } from './resource-handlers.ts';
import { writeJson } from './response.ts';
import { errors, FieldError } from '../api/status.ts';
import { selectorMatches } from '../storage/selectors.ts';

type Obj = Record<string, unknown>;

function scaleOf(object: KubeObject): Obj {
  const spec = (object.spec ?? {}) as Obj;
  const status = (object.status ?? {}) as Obj;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      creationTimestamp: object.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: formatLabelSelector(spec.selector).replace('<none>', '') },
  };
}

async function handleScale(ctx: ResourceContext): Promise<void> {
  const { registry } = ctx.cluster;
  const existing = registry.get(ctx.def, ctx.namespace, ctx.info.name);
  if (ctx.info.verb === 'get') {
    writeJson(ctx.res, 200, scaleOf(existing));
    return;
  }
  const body = await readBody(ctx.req);
  let scale: unknown;
  if (ctx.info.verb === 'update') scale = decodeBody(body, ctx.req.headers['content-type']);
  else {
    const given = mediaType(ctx.req.headers['content-type']);
    // JSON patch and strategic merge patch as asked; anything else is read as a merge patch.
    const type = ['application/json-patch+json', 'application/strategic-merge-patch+json'].includes(given)
      ? given
      : 'application/merge-patch+json';
    const target = { group: 'autoscaling', kind: 'Scale', name: ctx.info.name };
    scale = applyPatch(type, body.toString('utf8'), scaleOf(existing), target);
  }
  const replicas = ((scale as Obj)?.spec as Obj | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid('autoscaling', 'Scale', ctx.info.name, []);
  }
  const next = structuredClone(existing);
  (next.spec as Obj).replicas = replicas;
  const updated = await registry.update(
    ctx.def,
    ctx.namespace,
    ctx.info.name,
    next,
    {
      user: ctx.user,
      dryRun: ctx.url.searchParams.has('dryRun'),
      fieldManager: ctx.url.searchParams.get('fieldManager') ?? 'kubectl-scale',
      warnings: ctx.warnings,
    },
    existing,
  );
  writeJson(ctx.res, 200, scaleOf(updated), ctx.warnings);
}

function handleLog(ctx: ResourceContext): void {
  const pod = ctx.cluster.registry.get(ctx.def, ctx.namespace, ctx.info.name);
  const containers = [
    ...(((pod.spec as Obj)?.containers as Obj[] | undefined) ?? []),
    ...(((pod.spec as Obj)?.initContainers as Obj[] | undefined) ?? []),
  ].map((c) => String(c.name));
  const requested = ctx.url.searchParams.get('container');
  if (!requested && containers.length > 1) {
    throw errors.badRequest(
      `a container name must be specified for pod ${ctx.info.name}, choose one of: [${containers.join(' ')}]`,
    );
  }
  const container = requested ?? containers[0] ?? '';
  if (!containers.includes(container))
    throw errors.badRequest(`container ${container} is not valid for pod ${ctx.info.name}`);
  // The simulated server's access log: one line per connection the pod accepted.
  const served = ctx.cluster.network.accessLog(pod);
  const text = served.length
    ? `${served.join('\n')}\n`
    : `[embedded cluster] no logs for container "${container}" of pod "${ctx.info.name}": ${noRuntimeNote}; connections it accepts from kubectl exec are logged here.\n`;
  ctx.res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(text)) });
  ctx.res.end(text);
}

/** Seconds TokenRequest accepts (pkg/apis/authentication/validation: 10 minutes to 2^32 s). */
const minTokenSeconds = 10 * 60;
const maxTokenSeconds = 2 ** 32;

/** The object a TokenRequest binds its token to (pkg/registry/core/serviceaccount/storage/token.go). */
function boundObject(
  ctx: ResourceContext,
  ref: Obj,
  saName: string,
): { pod?: KubeObject; secret?: KubeObject; node?: KubeObject } {
  const { catalog, registry } = ctx.cluster;
  const kind = String(ref.kind ?? '');
  const apiVersion = String(ref.apiVersion ?? '');
  const name = String(ref.name ?? '');
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const found = (plural: string) => {
    const def = catalog.find('', 'v1', plural)!;
    return registry.get(def, def.namespaced ? ctx.namespace : '', name);
  };
  let object: KubeObject;
  const bound: { pod?: KubeObject; secret?: KubeObject; node?: KubeObject } = {};
  if (group === '' && kind === 'Pod') {
    object = found('pods');
    const podSa = String((object.spec as Obj | undefined)?.serviceAccountName ?? '');
    if (podSa !== saName) {
      throw errors.badRequest(
        `cannot bind token for serviceaccount "${saName}" to pod running with serviceaccount "${podSa}"`,
      );
    }
    bound.pod = object;
    const nodeName = (object.spec as Obj | undefined)?.nodeName;
    const node = typeof nodeName === 'string' ? ctx.cluster.store.get('nodes', '', nodeName) : undefined;
    if (node) bound.node = node;
  } else if (group === '' && kind === 'Secret') {
    object = found('secrets');
    bound.secret = object;
  } else if (group === '' && kind === 'Node') {
    object = found('nodes');
    bound.node = object;
  } else {
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    throw errors.badRequest(`cannot bind token to object of type ${group ? `${group}/` : ''}${version}, Kind=${kind}`);
  }
  if (ref.uid && ref.uid !== object.metadata.uid) {
    throw errors.conflict(
      { group, resource: kind },
      name,
      `the UID in the bound object reference (${String(ref.uid)}) does not match the UID in record (${object.metadata.uid}). The object might have been deleted and then recreated`,
    );
  }
  return bound;
}

async function handleToken(ctx: ResourceContext): Promise<void> {
  const sa = ctx.cluster.registry.get(ctx.def, ctx.namespace, ctx.info.name);
  const body = decodeBody(await readBody(ctx.req), ctx.req.headers['content-type']) as Obj;
  const spec = ((body?.spec as Obj) ?? {}) as {
    audiences?: string[];
    expirationSeconds?: number;
    boundObjectRef?: Obj | null;
  };
  const expirationSeconds = spec.expirationSeconds ?? 3600;
  const invalid = (detail: string) =>
    errors.invalid('authentication.k8s.io', 'TokenRequest', ctx.info.name, [
      FieldError.invalid('spec.expirationSeconds', expirationSeconds, detail),
    ]);
  if (expirationSeconds < minTokenSeconds) throw invalid('may not specify a duration less than 10 minutes');
  if (expirationSeconds > maxTokenSeconds) throw invalid('may not specify a duration larger than 2^32 seconds');
  const bound = spec.boundObjectRef ? boundObject(ctx, spec.boundObjectRef, ctx.info.name) : {};
  const tokens = ctx.cluster.tokens;
  const audiences = spec.audiences?.length ? spec.audiences : tokens.apiAudiences;
  const { token, expiration } = await tokens.issue({ serviceAccount: sa, audiences, expirationSeconds, ...bound });
  const boundTo = bound.pod ?? bound.secret ?? bound.node;
  writeJson(ctx.res, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: ctx.info.name, namespace: ctx.namespace, creationTimestamp: null },
    spec: {
      audiences,
      expirationSeconds,
      boundObjectRef: spec.boundObjectRef
        ? { ...spec.boundObjectRef, uid: boundTo?.metadata.uid ?? spec.boundObjectRef.uid }
        : null,
    },
    status: { token, expirationTimestamp: rfc3339(expiration) },
  });
}

/** An Eviction the pod's PodDisruptionBudgets forbid is 429 (pkg/registry/core/pod/storage/eviction.go). */
function checkDisruptionBudgets(ctx: ResourceContext): void {
  const pod = ctx.cluster.registry.get(ctx.def, ctx.namespace, ctx.info.name);
  const budgets = ctx.cluster.store
    .list('poddisruptionbudgets.policy', ctx.namespace)
    .filter((pdb) => selectorMatches(((pdb.spec as Obj)?.selector ?? {}) as Obj, pod.metadata.labels ?? {}));
  if (budgets.length > 1) {
    throw errors.internal(
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  }
  const pdb = budgets[0];
  const status = (pdb?.status ?? {}) as Obj;
  if (!pdb || Number(status.disruptionsAllowed ?? 0) > 0) return;
  const error = errors.badRequest("Cannot evict pod as it would violate the pod's disruption budget.");
  Object.assign(error.status, {
    code: 429,
    reason: 'TooManyRequests',
    details: {
      causes: [
        {
          reason: 'DisruptionBudget',
          message: `The disruption budget ${pdb.metadata.name} needs ${Number(status.desiredHealthy ?? 0)} healthy pods and has ${Number(status.currentHealthy ?? 0)} currently`,
        },
      ],
    },
  });
  throw error;
}

async function handleEviction(ctx: ResourceContext): Promise<void> {
  await readBody(ctx.req);
  checkDisruptionBudgets(ctx);
  await ctx.cluster.registry.delete(ctx.def, ctx.namespace, ctx.info.name, {
    user: ctx.user,
    dryRun: ctx.url.searchParams.has('dryRun'),
    fieldManager: 'eviction',
    warnings: ctx.warnings,
  });
  writeJson(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

/** Routes /{resource}/{name}/{subresource}; returns false when the subresource is unknown. */
export async function handleSubresource(ctx: ResourceContext): Promise<void> {
  const { def, info } = ctx;
  const sub = def.subresources?.[info.subresource];
  if (!sub) throw errors.notFoundPath();
  const verb = info.verb;
  if (!sub.verbs.includes(verb))
    throw errors.methodNotSupported({ group: def.group, resource: `${def.plural}/${info.subresource}` }, verb);
  switch (info.subresource) {
    case 'status':
    case 'ephemeralcontainers':
    case 'approval':
      if (verb === 'get') return handleGet(ctx);
      if (verb === 'update') return handleUpdate(ctx);
      return handlePatch(ctx);
    case 'scale':
      return handleScale(ctx);
    case 'log':
      return handleLog(ctx);
    case 'token':
      return handleToken(ctx);
    case 'eviction':
      return handleEviction(ctx);
    case 'exec':
    case 'attach':
    case 'portforward':
      // Reached only without a WebSocket upgrade (the upgrade path answers those).
      throw errors.badRequest(`Upgrade request required: ${noRuntimeNote}`);
    default:
      throw errors.methodNotSupported({ group: def.group, resource: `${def.plural}/${info.subresource}` }, verb);
  }
}
