import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { authenticate } from '../authentication/authenticator.ts';
import {
  authenticatedGroup,
  unauthenticatedGroup,
  unauthenticatedUser,
  type UserInfo,
} from '../authentication/user.ts';
import { alwaysAllow, type Attributes } from '../authorization/authorizer.ts';
import { qualified } from '../api/status.ts';
import { parseAccept } from './codec.ts';
import { openapiV2Protobuf, openapiV2ProtobufResponse, swaggerDocument } from './openapi/v2.ts';
import type { ClusterServices, RequestContext, ResourceContext } from './context.ts';
import { groupDiscovery, resourceList, rootDiscovery } from './discovery.ts';
import { parseRequestInfo, type RequestInfo } from './request-info.ts';
import {
  handleCreate,
  handleDelete,
  handleDeleteCollection,
  handleGet,
  handleList,
  handlePatch,
  handleUpdate,
  handleWatch,
} from './resource-handlers.ts';
import { writeError, writeJson } from './response.ts';
import { handleReview } from './reviews.ts';
import { errors, StatusError } from '../api/status.ts';
import { handleSubresource } from './subresources.ts';
import { serveExec } from './exec.ts';
import { noRuntimeNote } from '../api/no-runtime.ts';

/** Paths anyone may read, as the system:public-info-viewer role allows. */
const publicPaths = new Set(['/version', '/version/', '/healthz', '/livez', '/readyz']);

function describeScope(info: RequestInfo): string {
  return info.namespace ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
}

/** The Forbidden text kube-apiserver returns for an RBAC denial. */
export function forbiddenMessage(attributes: Attributes, info: RequestInfo, reason: string): StatusError {
  const user = attributes.user.username;
  const suffix = reason ? `: ${reason}` : '';
  if (!attributes.isResourceRequest) {
    return errors.forbiddenRaw(
      `forbidden: User "${user}" cannot ${attributes.verb} path "${attributes.path}"${suffix}`,
    );
  }
  const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
  const why = `User "${user}" cannot ${attributes.verb} resource "${resource}" in API group "${attributes.apiGroup}" ${describeScope(info)}${suffix}`;
  return errors.forbidden(
    { group: attributes.apiGroup, resource: attributes.resource },
    attributes.name || undefined,
    why,
  );
}

/**
 * The HTTP front of one embedded cluster. A request flows one way:
 * authentication → impersonation → authorization → decode → admission → registry → storage.
 */
export class ApiServer {
  private readonly cluster: ClusterServices;
  private readonly websockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) =>
      ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'].find((p) => protocols.has(p)) ?? false,
  });

  constructor(cluster: ClusterServices) {
    this.cluster = cluster;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const warnings: string[] = [];
    try {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const info = parseRequestInfo(req.method ?? 'GET', url);
      const user = this.identify(req, info);
      const ctx: RequestContext = {
        req,
        res,
        url,
        info,
        user,
        accept: parseAccept(req.headers.accept),
        warnings,
        cluster: this.cluster,
      };
      await this.route(ctx);
    } catch (error) {
      writeError(res, error, warnings);
    }
  }

  /** Authenticates, applies impersonation and authorizes; returns the effective user. */
  private identify(req: IncomingMessage, info: RequestInfo): UserInfo {
    const result = authenticate(req, (token) => this.cluster.tokens.authenticate(token));
    if (result.rejected) throw errors.unauthorized();
    let user: UserInfo = result.user ?? { username: unauthenticatedUser, groups: [unauthenticatedGroup] };
    // Anonymous requests are authorized like any other (system:anonymous, group
    // system:unauthenticated): RBAC's system:public-info-viewer lets them read /version and
    // the health checks, and everything else is a 403. Without RBAC they get only those paths.
    if (!result.user && this.cluster.authorizer === alwaysAllow) {
      if (publicPaths.has(info.path)) return user;
      throw errors.unauthorized();
    }
    user = this.impersonate(req, user);
    if (this.cluster.authorizer === alwaysAllow && publicPaths.has(info.path)) return user;
    const attributes: Attributes = {
      user,
      verb: info.isResourceRequest ? info.verb : (req.method ?? 'GET').toLowerCase(),
      isResourceRequest: info.isResourceRequest,
      path: info.path,
      apiGroup: info.apiGroup,
      apiVersion: info.apiVersion,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
    };
    const decision = this.cluster.authorizer.authorize(attributes);
    if (decision.decision !== 'allow') throw forbiddenMessage(attributes, info, decision.reason);
    return user;
  }

  /** Impersonate-User/Group/Uid/Extra-*: allowed only with the impersonate verb. */
  private impersonate(req: IncomingMessage, user: UserInfo): UserInfo {
    const asUser = req.headers['impersonate-user'];
    const asGroups = req.headersDistinct['impersonate-group'] ?? [];
    const asUid = req.headers['impersonate-uid'];
    const extraHeaders = Object.keys(req.headers).filter((h) => h.startsWith('impersonate-extra-'));
    if (!asUser && asGroups.length === 0 && !asUid && extraHeaders.length === 0) return user;
    if (!asUser) throw errors.badRequest('requested [] without impersonating a user');
    const check = (resource: string, name: string, group = '', namespace = '') => {
      const attributes: Attributes = {
        user,
        verb: 'impersonate',
        isResourceRequest: true,
        path: '',
        apiGroup: group,
        apiVersion: '',
        resource,
        subresource: '',
        namespace,
        name,
      };
      const decision = this.cluster.authorizer.authorize(attributes);
      if (decision.decision !== 'allow') {
        const kind = resource === 'serviceaccounts' ? 'serviceaccounts' : resource;
        throw errors.forbiddenRaw(
          `${kind} "${name}" is forbidden: User "${user.username}" cannot impersonate resource "${resource}" in API group "${group}"${namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope'}`,
          { name, ...(group ? { group } : {}), kind: resource },
        );
      }
    };
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(String(asUser));
    if (sa) check('serviceaccounts', sa[2]!, '', sa[1]!);
    else check('users', String(asUser));
    for (const group of asGroups) check('groups', group);
    if (asUid) check('uids', String(asUid), 'authentication.k8s.io');
    const extra: Record<string, string[]> = {};
    for (const header of extraHeaders) {
      const key = decodeURIComponent(header.slice('impersonate-extra-'.length));
      const values = req.headersDistinct[header] ?? [];
      for (const value of values) check('userextras', value, 'authentication.k8s.io');
      extra[key] = values;
    }
    const groups = [...asGroups];
    if (sa) groups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
    if (String(asUser) !== unauthenticatedUser && !groups.includes(authenticatedGroup)) groups.push(authenticatedGroup);
    const impersonated: UserInfo = { username: String(asUser), groups };
    if (asUid) impersonated.uid = String(asUid);
    if (Object.keys(extra).length) impersonated.extra = extra;
    return impersonated;
  }

  private async route(ctx: RequestContext): Promise<void> {
    const { info, url, res } = ctx;
    const { catalog } = this.cluster;
    const path = info.path.replace(/\/+$/, '') || '/';
    if (path === '/version') return writeJson(res, 200, this.cluster.version);
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    // ServiceAccount issuer discovery (pkg/serviceaccount/openidmetadata.go), cacheable for an hour.
    const oidc =
      path === '/.well-known/openid-configuration'
        ? { body: this.cluster.tokens.openIdConfiguration(this.cluster.serverAddress), type: 'application/json' }
        : path === '/openid/v1/jwks'
          ? { body: await this.cluster.tokens.jwks(), type: 'application/jwk-set+json' }
          : undefined;
    if (oidc) {
      res.writeHead(200, { 'content-type': oidc.type, 'cache-control': 'public, max-age=3600' });
      res.end(JSON.stringify(oidc.body));
      return;
    }
    if (path === '/api' || path === '/apis') {
      const found = rootDiscovery(
        catalog,
        path === '/api' ? 'api' : 'apis',
        ctx.accept.aggregatedDiscovery,
        this.cluster.serverAddress,
      );
      return writeJson(res, 200, found.body, [], found.contentType);
    }
    if (path === '/openapi/v2') {
      // kubectl's validation falls back to v2 (always for kind: List) and asks for protobuf.
      const doc = swaggerDocument(catalog, this.cluster.version.gitVersion);
      const accept = ctx.req.headers.accept ?? '';
      const protobuf = accept.includes(openapiV2Protobuf) || accept.includes(openapiV2ProtobufResponse);
      res.writeHead(200, { 'content-type': protobuf ? openapiV2ProtobufResponse : 'application/json' });
      res.end(protobuf ? doc.protobuf : doc.json);
      return;
    }
    if (path === '/openapi/v3') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(this.cluster.openapi.index());
      return;
    }
    if (path.startsWith('/openapi/v3/')) {
      const rest = path.slice('/openapi/v3/'.length).split('/');
      const [group, version] = rest[0] === 'api' ? ['', rest[1] ?? ''] : [rest[1] ?? '', rest[2] ?? ''];
      const doc = this.cluster.openapi.document(group, version);
      if (!doc) throw errors.notFoundPath();
      res.writeHead(200, {
        'content-type': 'application/json',
        etag: `"${doc.hash}"`,
        'cache-control': url.searchParams.get('hash') ? 'public, immutable' : 'no-cache, private',
      });
      res.end(doc.body);
      return;
    }
    if (!info.isResourceRequest) {
      if (info.apiPrefix === 'apis' && info.apiGroup && !info.apiVersion) {
        const group = groupDiscovery(catalog, info.apiGroup);
        if (!group) throw errors.notFoundPath();
        return writeJson(res, 200, group);
      }
      if (info.apiPrefix && info.apiVersion) {
        const list = resourceList(catalog, info.apiGroup, info.apiVersion);
        if (!list || (info.apiPrefix === 'api') !== (info.apiGroup === '')) throw errors.notFoundPath();
        return writeJson(res, 200, list);
      }
      throw errors.notFoundPath();
    }
    if ((info.apiPrefix === 'api') !== (info.apiGroup === '')) throw errors.notFoundPath();
    const def = catalog.find(info.apiGroup, info.apiVersion, info.resource);
    if (!def) throw errors.notFoundPath();
    const namespace = def.namespaced ? info.namespace : '';
    if (
      def.namespaced &&
      !info.namespace &&
      info.verb !== 'list' &&
      info.verb !== 'watch' &&
      info.verb !== 'deletecollection' &&
      !def.virtual
    ) {
      throw errors.notFoundPath();
    }
    if (def.deprecationWarning) ctx.warnings.push(def.deprecationWarning);
    const resourceCtx: ResourceContext = { ...ctx, def, namespace };
    if (def.virtual) {
      if (info.verb !== 'create')
        throw errors.methodNotSupported({ group: def.group, resource: def.plural }, info.verb);
      return handleReview(resourceCtx);
    }
    if (info.subresource) return handleSubresource(resourceCtx);
    if (!def.verbs.includes(info.verb))
      throw errors.methodNotSupported({ group: def.group, resource: def.plural }, info.verb);
    switch (info.verb) {
      case 'get':
        return handleGet(resourceCtx);
      case 'list':
        return handleList(resourceCtx);
      case 'watch':
        return handleWatch(resourceCtx);
      case 'create':
        return handleCreate(resourceCtx);
      case 'update':
        return handleUpdate(resourceCtx);
      case 'patch':
        return handlePatch(resourceCtx);
      case 'delete':
        return handleDelete(resourceCtx);
      case 'deletecollection':
        return handleDeleteCollection(resourceCtx);
      default:
        throw errors.methodNotSupported({ group: def.group, resource: def.plural }, info.verb);
    }
  }

  /**
   * WebSocket upgrades for pods/exec, attach and portforward. No container runs here,
   * so the stream says so on stderr and ends with exit code 126; it never hangs.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const fail = (error: unknown) => {
      const status = error instanceof StatusError ? error.status : errors.internal(String(error)).status;
      const body = JSON.stringify(status);
      socket.end(
        `HTTP/1.1 ${status.code} ${status.reason ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    };
    try {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const info = parseRequestInfo(req.method ?? 'GET', url);
      // kubectl 1.32 opens exec over a WebSocket GET, authorized as "get" on pods/exec.
      this.identify(req, info);
      const def = this.cluster.catalog.find(info.apiGroup, info.apiVersion, info.resource);
      if (
        !def ||
        def.plural !== 'pods' ||
        def.group !== '' ||
        !['exec', 'attach', 'portforward'].includes(info.subresource)
      ) {
        throw errors.notFoundPath();
      }
      const pod = this.cluster.registry.get(def, info.namespace, info.name);
      const containers = ((pod.spec as { containers?: Array<{ name: string }> })?.containers ?? []).map((c) => c.name);
      const container = url.searchParams.get('container') ?? containers[0] ?? '';
      if (info.subresource !== 'portforward' && !containers.includes(container)) {
        throw errors.badRequest(`container ${container} is not valid for pod ${info.name}`);
      }
      // The kubelet has no container to stream to until the pod runs (or once it has finished).
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (info.subresource === 'exec' && phase !== 'Running') {
        throw errors.badRequest(`unable to upgrade connection: container not found ("${container}")`);
      }
      if (!req.headers['sec-websocket-protocol']) {
        throw errors.badRequest(
          'unable to upgrade connection: the embedded cluster streams exec over WebSocket (v5.channel.k8s.io), which kubectl 1.30 and later use; this client asked for SPDY, which it does not serve (use a newer kubectl, or the kind backend)',
        );
      }
      const flag = (name: string) => ['true', '1'].includes(url.searchParams.get(name) ?? '');
      this.websockets.handleUpgrade(req, socket, head, (ws) => {
        if (info.subresource === 'exec') {
          serveExec(
            ws,
            { pod, container, command: url.searchParams.getAll('command'), tty: flag('tty'), stdin: flag('stdin') },
            this.cluster,
          );
          return;
        }
        const message = `error: cannot ${info.subresource === 'attach' ? 'attach to' : 'port-forward to'} pod "${info.name}": ${noRuntimeNote}; kubectl exec runs a simulated shell.\n`;
        const frame = (channel: number, text: string) => Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
        ws.send(frame(info.subresource === 'portforward' ? 1 : 2, message));
        if (info.subresource === 'attach') {
          const status = {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: ${noRuntimeNote}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: '126' }] },
          };
          ws.send(frame(3, JSON.stringify(status)));
        }
        ws.close(1000);
      });
    } catch (error) {
      fail(error);
    }
  }
}

export { qualified };
