import type { UserInfo } from '../authentication/user.ts';
import type { Attributes } from '../authorization/authorizer.ts';
import { rfc3339 } from '../api/time.ts';
import { decodeBody, readBody } from './codec.ts';
import type { ResourceContext } from './context.ts';
import { writeJson } from './response.ts';
import { errors } from '../api/status.ts';

type Obj = Record<string, unknown>;

function attributesFrom(spec: Obj, user: UserInfo): Attributes {
  const resource = spec.resourceAttributes as Obj | undefined;
  const nonResource = spec.nonResourceAttributes as Obj | undefined;
  if (resource) {
    return {
      user,
      verb: String(resource.verb ?? ''),
      isResourceRequest: true,
      path: '',
      apiGroup: String(resource.group ?? ''),
      apiVersion: String(resource.version ?? ''),
      resource: String(resource.resource ?? ''),
      subresource: String(resource.subresource ?? ''),
      namespace: String(resource.namespace ?? ''),
      name: String(resource.name ?? ''),
    };
  }
  return {
    user,
    verb: String(nonResource?.verb ?? ''),
    isResourceRequest: false,
    path: String(nonResource?.path ?? ''),
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
  };
}

function accessStatus(ctx: ResourceContext, attributes: Attributes): Obj {
  const result = ctx.cluster.authorizer.authorize(attributes);
  const status: Obj = { allowed: result.decision === 'allow' };
  if (result.decision === 'deny') status.denied = true;
  if (result.reason) status.reason = result.reason;
  return status;
}

/** SelfSubjectAccessReview, SubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview, TokenReview. */
export async function handleReview(ctx: ResourceContext): Promise<void> {
  const body = decodeBody(await readBody(ctx.req), ctx.req.headers['content-type']);
  const review = (body && typeof body === 'object' ? body : {}) as Obj;
  const spec = (review.spec ?? {}) as Obj;
  const metadata = { ...((review.metadata as Obj) ?? {}), creationTimestamp: null };
  const base = { kind: ctx.def.kind, apiVersion: `${ctx.def.group}/${ctx.def.version}`, metadata };
  switch (ctx.def.kind) {
    case 'SelfSubjectAccessReview': {
      if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
        throw errors.invalid(ctx.def.group, ctx.def.kind, '', []);
      }
      writeJson(ctx.res, 201, { ...base, spec, status: accessStatus(ctx, attributesFrom(spec, ctx.user)) });
      return;
    }
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview': {
      const user: UserInfo = {
        username: String(spec.user ?? ''),
        uid: spec.uid ? String(spec.uid) : undefined,
        groups: (spec.groups as string[]) ?? [],
        extra: (spec.extra as Record<string, string[]>) ?? {},
      };
      const attributes = attributesFrom(spec, user);
      if (ctx.def.kind === 'LocalSubjectAccessReview') attributes.namespace = ctx.namespace;
      writeJson(ctx.res, 201, { ...base, spec, status: accessStatus(ctx, attributes) });
      return;
    }
    case 'SelfSubjectRulesReview': {
      const namespace = String(spec.namespace ?? '');
      const rules = ctx.cluster.authorizer.rulesFor(ctx.user, namespace);
      const status: Obj = {
        resourceRules: rules.resourceRules,
        nonResourceRules: rules.nonResourceRules,
        incomplete: rules.incomplete,
      };
      if (rules.evaluationError) status.evaluationError = rules.evaluationError;
      writeJson(ctx.res, 201, { ...base, spec, status });
      return;
    }
    case 'SelfSubjectReview': {
      const userInfo: Obj = { username: ctx.user.username, groups: ctx.user.groups };
      if (ctx.user.uid) userInfo.uid = ctx.user.uid;
      if (ctx.user.extra && Object.keys(ctx.user.extra).length) userInfo.extra = ctx.user.extra;
      writeJson(ctx.res, 201, { ...base, metadata: { creationTimestamp: rfc3339() }, status: { userInfo } });
      return;
    }
    case 'TokenReview': {
      // spec.audiences defaults to the API server's own; status.audiences is what the token matched.
      const tokens = ctx.cluster.tokens;
      const wanted =
        Array.isArray(spec.audiences) && spec.audiences.length ? (spec.audiences as string[]) : tokens.apiAudiences;
      const user = tokens.authenticate(String(spec.token ?? ''), wanted);
      const status: Obj = user
        ? {
            authenticated: true,
            user: {
              username: user.username,
              uid: user.uid,
              groups: [...user.groups, 'system:authenticated'],
              extra: user.extra,
            },
            audiences: wanted.filter((a) => tokens.audiencesOf(String(spec.token ?? '')).includes(a)),
          }
        : { authenticated: false, user: {}, error: 'invalid bearer token' };
      writeJson(ctx.res, 201, { ...base, spec, status });
      return;
    }
    default:
      throw errors.notFoundPath();
  }
}
