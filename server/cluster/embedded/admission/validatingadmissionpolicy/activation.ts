import type { AdmissionAttributes } from '../../registry/admission.ts';
import type { Authorizer } from '../../authorization/authorizer.ts';
import type { KubeObject } from '../../storage/types.ts';
import { AuthzAuthorizer } from '../../cel/library/authz.ts';
import { toCel } from '../../cel/values.ts';

type Obj = Record<string, unknown>;

/** The admission.k8s.io/v1 AdmissionRequest that `request` holds in admission expressions. */
export function admissionRequest(attrs: AdmissionAttributes, uid: string): Obj {
  const def = attrs.resource;
  const kind = { group: def.group, version: def.version, kind: def.kind };
  const resource = { group: def.group, version: def.version, resource: def.plural };
  const user = attrs.user;
  return {
    uid,
    kind,
    resource,
    ...(attrs.subresource ? { subResource: attrs.subresource, requestSubResource: attrs.subresource } : {}),
    requestKind: kind,
    requestResource: resource,
    name: attrs.name || (attrs.object?.metadata.name ?? ''),
    namespace: attrs.namespace,
    operation: attrs.operation,
    userInfo: {
      username: user.username,
      ...(user.uid ? { uid: user.uid } : {}),
      groups: user.groups,
      ...(user.extra ? { extra: user.extra } : {}),
    },
    dryRun: attrs.dryRun,
  };
}

/** The variables every admission expression sees; CEL values built once per request. */
export interface BaseActivation {
  object: unknown;
  oldObject: unknown;
  request: unknown;
  namespaceObject: unknown;
  authorizer: unknown;
}

export function baseActivation(
  attrs: AdmissionAttributes,
  namespace: KubeObject | undefined,
  authorizer: Authorizer | undefined,
): BaseActivation {
  const def = attrs.resource;
  const object = attrs.operation === 'DELETE' ? null : (attrs.object ?? null);
  return {
    object: toCel(object),
    oldObject: toCel(attrs.oldObject ?? null),
    request: toCel(admissionRequest(attrs, crypto.randomUUID())),
    namespaceObject: toCel(def.namespaced ? (namespace ?? null) : null),
    authorizer: authorizer
      ? new AuthzAuthorizer(authorizer, attrs.user, {
          group: def.group,
          version: def.version,
          resource: def.plural,
          subresource: attrs.subresource,
          namespace: attrs.namespace,
          name: attrs.name,
        })
      : null,
  };
}
