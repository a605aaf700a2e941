import type { Environment } from '@marcbachmann/cel-js';
import type { UserInfo } from '../../authentication/user.ts';
import type { Attributes, Authorizer } from '../../authorization/authorizer.ts';

/** The decision of an authorizer check (k8s.io/apiserver/pkg/cel/library/authz.go). */
export class AuthzDecision {
  readonly allowed: boolean;
  readonly reason: string;
  constructor(allowed: boolean, reason: string) {
    this.allowed = allowed;
    this.reason = reason;
  }
}

export class AuthzAuthorizer {
  readonly authorizer: Authorizer;
  readonly user: UserInfo;
  /** The resource of the request being admitted, for custom-verb checks. */
  readonly requestResource: AuthzResourceCheck | null;
  constructor(authorizer: Authorizer, user: UserInfo, request?: Omit<ResourceFields, 'authorizer'>) {
    this.authorizer = authorizer;
    this.user = user;
    this.requestResource = request ? new AuthzResourceCheck({ ...request, authorizer: this }) : null;
  }
  decide(attributes: Omit<Attributes, 'user'>): AuthzDecision {
    const result = this.authorizer.authorize({ ...attributes, user: this.user });
    return new AuthzDecision(result.decision === 'allow', result.reason);
  }
}

export class AuthzPathCheck {
  readonly authorizer: AuthzAuthorizer;
  readonly path: string;
  constructor(authorizer: AuthzAuthorizer, path: string) {
    this.authorizer = authorizer;
    this.path = path;
  }
}

export class AuthzGroupCheck {
  readonly authorizer: AuthzAuthorizer;
  readonly group: string;
  constructor(authorizer: AuthzAuthorizer, group: string) {
    this.authorizer = authorizer;
    this.group = group;
  }
}

interface ResourceFields {
  authorizer: AuthzAuthorizer;
  group: string;
  version?: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export class AuthzResourceCheck {
  readonly fields: ResourceFields;
  constructor(fields: ResourceFields) {
    this.fields = fields;
  }
  with(change: Partial<ResourceFields>): AuthzResourceCheck {
    return new AuthzResourceCheck({ ...this.fields, ...change });
  }
}

export function registerAuthz(env: Environment): void {
  env.registerType('Authorizer', AuthzAuthorizer);
  env.registerType('PathCheck', AuthzPathCheck);
  env.registerType('GroupCheck', AuthzGroupCheck);
  env.registerType('ResourceCheck', AuthzResourceCheck);
  env.registerType('Decision', AuthzDecision);
  env.registerFunction(
    'Authorizer.path(string): PathCheck',
    (a: AuthzAuthorizer, p: string) => new AuthzPathCheck(a, p),
  );
  env.registerFunction(
    'Authorizer.group(string): GroupCheck',
    (a: AuthzAuthorizer, g: string) => new AuthzGroupCheck(a, g),
  );
  env.registerFunction(
    'Authorizer.serviceAccount(string, string): Authorizer',
    (a: AuthzAuthorizer, ns: string, name: string) =>
      new AuthzAuthorizer(a.authorizer, {
        username: `system:serviceaccount:${ns}:${name}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      }),
  );
  env.registerFunction('PathCheck.check(string): Decision', (p: AuthzPathCheck, verb: string) =>
    p.authorizer.decide({
      verb,
      isResourceRequest: false,
      path: p.path,
      apiGroup: '',
      apiVersion: '',
      resource: '',
      subresource: '',
      namespace: '',
      name: '',
    }),
  );
  env.registerFunction(
    'GroupCheck.resource(string): ResourceCheck',
    (g: AuthzGroupCheck, resource: string) =>
      new AuthzResourceCheck({
        authorizer: g.authorizer,
        group: g.group,
        resource,
        subresource: '',
        namespace: '',
        name: '',
      }),
  );
  for (const key of ['subresource', 'namespace', 'name'] as const)
    env.registerFunction(`ResourceCheck.${key}(string): ResourceCheck`, (r: AuthzResourceCheck, v: string) =>
      r.with({ [key]: v }),
    );
  env.registerFunction('ResourceCheck.check(string): Decision', (r: AuthzResourceCheck, verb: string) =>
    r.fields.authorizer.decide({
      verb,
      isResourceRequest: true,
      path: '',
      apiGroup: r.fields.group,
      apiVersion: r.fields.version ?? '*',
      resource: r.fields.resource,
      subresource: r.fields.subresource,
      namespace: r.fields.namespace,
      name: r.fields.name,
    }),
  );
  env.registerFunction('Decision.allowed(): bool', (d: AuthzDecision) => d.allowed);
  env.registerFunction('Decision.reason(): string', (d: AuthzDecision) => d.reason);
  env.registerFunction('Decision.errored(): bool', () => false);
  env.registerFunction('Decision.error(): string', () => '');
}
