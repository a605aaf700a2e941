import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';
import { errors, StatusError } from '../../api/status.ts';
import type { Registry } from '../../registry/generic.ts';
import type { ResourceCatalog } from '../../registry/catalog.ts';
import type { Store } from '../../storage/store.ts';
import type { KubeObject } from '../../storage/types.ts';
import { subjectMatches } from '../../authorization/rbac/authorizer.ts';
import { evaluatePolicy, requestContext, type EngineRequest, type RuleResult } from './engine.ts';
import { blockedMessage } from './messages.ts';
import { validatePolicy } from './policy-validation.ts';
import { writeReport } from './reports.ts';

type Obj = Record<string, unknown>;

/** Kinds and namespaces Kyverno's default resourceFilters leave alone. */
const filteredKinds = new Set([
  'Event',
  'Node',
  'ReplicaSet',
  'Binding',
  'TokenReview',
  'SubjectAccessReview',
  'SelfSubjectAccessReview',
  'SelfSubjectReview',
  'SelfSubjectRulesReview',
  'LocalSubjectAccessReview',
]);
const filteredNamespaces = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'kyverno']);
const policyResources = new Set(['clusterpolicies.kyverno.io', 'policies.kyverno.io']);

function badRequest(message: string): StatusError {
  const error = errors.badRequest(message);
  delete error.status.reason;
  return error;
}

/**
 * Kyverno's admission webhooks, in process: validates policies when they are written,
 * then evaluates validate rules on every request, blocking Enforce failures with the
 * text kube-apiserver shows for the webhook, and recording PolicyReports.
 */
export class KyvernoAdmission implements AdmissionPlugin {
  readonly name = 'Kyverno';
  private readonly store: Store;
  private readonly registry: () => Registry;
  private readonly catalog: ResourceCatalog;

  constructor(store: Store, catalog: ResourceCatalog, registry: () => Registry) {
    this.store = store;
    this.catalog = catalog;
    this.registry = registry;
  }

  private policies(namespace: string): readonly KubeObject[] {
    const cluster = this.store.peek('clusterpolicies.kyverno.io');
    const namespaced = namespace ? this.store.peek('policies.kyverno.io', namespace) : [];
    return [...cluster, ...namespaced].filter(
      (p) => (p.spec as Obj | undefined)?.admission !== false && !p.metadata.deletionTimestamp,
    );
  }

  /** Names of Roles ("ns:name") and ClusterRoles bound to the user, as Kyverno computes them. */
  private rolesOf(attrs: AdmissionAttributes): { roles: string[]; clusterRoles: string[] } {
    const roles: string[] = [];
    const clusterRoles: string[] = [];
    for (const b of this.store.peek('clusterrolebindings.rbac.authorization.k8s.io')) {
      const subjects = (b.subjects as Array<{ kind: string; name: string; namespace?: string }>) ?? [];
      if (subjects.some((s) => subjectMatches(s, attrs.user, ''))) clusterRoles.push(String((b.roleRef as Obj)?.name));
    }
    for (const b of attrs.namespace ? this.store.peek('rolebindings.rbac.authorization.k8s.io', attrs.namespace) : []) {
      const subjects = (b.subjects as Array<{ kind: string; name: string; namespace?: string }>) ?? [];
      if (!subjects.some((s) => subjectMatches(s, attrs.user, attrs.namespace))) continue;
      const ref = b.roleRef as Obj;
      if (ref?.kind === 'ClusterRole') clusterRoles.push(String(ref.name));
      else roles.push(`${attrs.namespace}:${String(ref?.name)}`);
    }
    return { roles, clusterRoles };
  }

  private request(attrs: AdmissionAttributes, object: KubeObject, old: KubeObject | undefined): EngineRequest {
    const def = attrs.resource;
    const meta = object.metadata ?? {};
    const ns = attrs.namespace ? this.store.get('namespaces', '', attrs.namespace) : undefined;
    return {
      group: def.group,
      version: def.version,
      kind: def.kind,
      subresource: attrs.subresource,
      name: attrs.name || meta.name || meta.generateName || '',
      namespace: def.namespaced ? attrs.namespace : '',
      labels: meta.labels ?? {},
      annotations: meta.annotations ?? {},
      namespaceLabels: ns?.metadata.labels ?? {},
      operation: attrs.operation,
      userInfo: { username: attrs.user.username, groups: attrs.user.groups },
      ...this.rolesOf(attrs),
      object: object as unknown as Obj,
      oldObject: (old as unknown as Obj) ?? null,
    };
  }

  validate(attrs: AdmissionAttributes): void {
    const def = attrs.resource;
    const resource = def.group ? `${def.plural}.${def.group}` : def.plural;
    if (
      policyResources.has(resource) &&
      attrs.object &&
      (attrs.operation === 'CREATE' || attrs.operation === 'UPDATE') &&
      !attrs.subresource
    ) {
      const problem = validatePolicy(attrs.object as unknown as Obj);
      if (problem) throw badRequest(`admission webhook "validate-policy.kyverno.svc" denied the request: ${problem}`);
      return;
    }
    if (filteredKinds.has(def.kind) || (def.kind === 'Pod' && attrs.subresource === 'binding')) return;
    if (filteredNamespaces.has(attrs.namespace) || (def.kind === 'Namespace' && filteredNamespaces.has(attrs.name)))
      return;
    if (def.group === 'wgpolicyk8s.io' || def.group === 'kyverno.io') return;
    const policies = this.policies(def.namespaced ? attrs.namespace : '');
    if (policies.length === 0) return;
    const object = attrs.object ?? attrs.oldObject;
    if (!object) return;
    const request = this.request(attrs, object, attrs.oldObject);
    const context = requestContext(request);
    const blocked = new Map<string, Map<string, string>>();
    const reportResults: Array<{ policy: KubeObject; result: RuleResult }> = [];
    let webhook = 'validate.kyverno.svc-fail';
    for (const policy of policies) {
      const spec = (policy.spec ?? {}) as Obj;
      const failurePolicy = String(spec.failurePolicy ?? 'Fail');
      let results: RuleResult[];
      try {
        results = evaluatePolicy(policy as unknown as Obj, request, context);
      } catch (error) {
        // A crashing policy fails closed unless its failurePolicy is Ignore.
        if (failurePolicy === 'Ignore') continue;
        results = [
          {
            policy: policy.metadata.name ?? '',
            rule: '',
            status: 'error',
            message: `policy evaluation failed: ${String(error)}`,
            action: 'Enforce',
          },
        ];
      }
      for (const result of results) {
        let violation = result.status === 'fail' || (result.status === 'error' && failurePolicy !== 'Ignore');
        // allowExistingViolations: an update of an object that already violated is let through.
        if (violation && attrs.operation === 'UPDATE' && attrs.oldObject && result.status === 'fail') {
          const allowExisting = ((policy.spec as Obj)?.rules as Obj[] | undefined)?.find(
            (r) => r?.name === result.rule.replace(/^autogen-(cronjob-)?/, ''),
          )?.validate as Obj | undefined;
          if (allowExisting?.allowExistingViolations !== false) {
            const before = evaluatePolicy(
              policy as unknown as Obj,
              this.request(attrs, attrs.oldObject, undefined),
            ).find((r) => r.rule === result.rule);
            if (before?.status === 'fail') violation = false;
          }
        }
        // Enforce failures block; so does any rule error under failurePolicy Fail (fail closed).
        if (violation && (result.action === 'Enforce' || result.status === 'error')) {
          if (failurePolicy === 'Ignore') webhook = 'validate.kyverno.svc-ignore';
          const rules = blocked.get(result.policy) ?? new Map<string, string>();
          rules.set(result.rule, result.message);
          blocked.set(result.policy, rules);
        } else if (
          violation &&
          (spec.emitWarning === true ||
            ((policy.spec as Obj)?.rules as Obj[] | undefined)?.some(
              (r) => (r?.validate as Obj | undefined)?.emitWarning === true,
            ))
        ) {
          attrs.warnings.push(`policy ${result.policy}.${result.rule}: ${result.message}`);
        }
        reportResults.push({ policy, result });
      }
    }
    if (blocked.size > 0) {
      const meta = object.metadata ?? {};
      throw badRequest(
        blockedMessage(
          webhook,
          def.kind,
          def.namespaced ? attrs.namespace : '',
          attrs.name || meta.name || '',
          blocked,
        ),
      );
    }
    if (reportResults.length && attrs.operation !== 'DELETE') {
      attrs.onCommit.push((stored) => writeReport(this.registry(), this.catalog, stored, reportResults));
    }
  }
}
