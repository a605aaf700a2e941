import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';
import { errors, StatusError } from '../../api/status.ts';
import type { Registry } from '../../registry/generic.ts';
import type { ResourceCatalog } from '../../registry/catalog.ts';
import type { Store } from '../../storage/store.ts';
import type { KubeObject } from '../../storage/types.ts';
import { subjectMatches } from '../../authorization/rbac/authorizer.ts';
import { withAutogenRules } from './autogen.ts';
import { storeReaders, policyKey, type BackgroundQueue } from './background.ts';
import {
  evaluatePolicy,
  mutatePolicy,
  requestContext,
  type EngineOptions,
  type EngineRequest,
  type RuleResult,
} from './engine.ts';
import { excluded, matchBlockMatches } from './match.ts';
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
  private readonly queue: BackgroundQueue | undefined;

  constructor(store: Store, catalog: ResourceCatalog, registry: () => Registry, queue?: BackgroundQueue) {
    this.store = store;
    this.catalog = catalog;
    this.registry = registry;
    this.queue = queue;
  }

  /** Context loaders and kyverno.io PolicyExceptions, as rules read them. */
  private engineOptions(): EngineOptions {
    return {
      loaders: storeReaders(this.store, this.catalog).loaders,
      exceptions: this.store.peek('policyexceptions.kyverno.io') as unknown as Obj[],
    };
  }

  /** Whether Kyverno's resource filters leave this request alone. */
  private filtered(attrs: AdmissionAttributes): boolean {
    const def = attrs.resource;
    if (filteredKinds.has(def.kind) || (def.kind === 'Pod' && attrs.subresource === 'binding')) return true;
    if (filteredNamespaces.has(attrs.namespace) || (def.kind === 'Namespace' && filteredNamespaces.has(attrs.name)))
      return true;
    return def.group === 'wgpolicyk8s.io' || def.group === 'kyverno.io' || def.group === 'policies.kyverno.io';
  }

  /** Mutate rules (not mutate-existing) change the object before validation, policy by policy. */
  mutate(attrs: AdmissionAttributes): void {
    if (!attrs.object || attrs.operation === 'DELETE' || attrs.operation === 'CONNECT' || this.filtered(attrs)) return;
    const def = attrs.resource;
    const policies = this.policies(def.namespaced ? attrs.namespace : '').filter((p) =>
      (((p.spec as Obj | undefined)?.rules as Obj[] | undefined) ?? []).some((r) => r?.mutate),
    );
    if (policies.length === 0) return;
    const options = this.engineOptions();
    let object = attrs.object;
    for (const policy of [...policies].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))) {
      const { patched } = mutatePolicy(policy as unknown as Obj, this.request(attrs, object, attrs.oldObject), options);
      object = patched as unknown as KubeObject;
    }
    // The registry keeps its reference to the object: change it in place.
    if (object !== attrs.object) {
      const target = attrs.object as unknown as Obj;
      for (const key of Object.keys(target)) delete target[key];
      Object.assign(target, object);
    }
  }

  /** Generate and mutate-existing rules matching a stored trigger, handed to the background controller. */
  private queueBackground(attrs: AdmissionAttributes, stored: KubeObject, policies: readonly KubeObject[]): void {
    if (!this.queue || (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE')) return;
    const request = this.request(attrs, stored, attrs.oldObject);
    for (const policy of policies) {
      for (const rule of withAutogenRules(policy as unknown as Obj)) {
        const type = rule.generate ? 'generate' : (rule.mutate as Obj | undefined)?.targets ? 'mutate' : undefined;
        if (!type) continue;
        if (
          !matchBlockMatches(rule.match as Obj | undefined, request) ||
          excluded(rule.exclude as Obj | undefined, request)
        )
          continue;
        this.queue.push({
          type,
          policy: policyKey(policy),
          rule: String(rule.name),
          trigger: {
            resource: attrs.resource.group ? `${attrs.resource.plural}.${attrs.resource.group}` : attrs.resource.plural,
            namespace: stored.metadata.namespace ?? '',
            name: stored.metadata.name ?? '',
            uid: stored.metadata.uid ?? '',
          },
          operation: attrs.operation,
          user: { username: attrs.user.username, groups: attrs.user.groups },
        });
      }
    }
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
    if (this.filtered(attrs)) return;
    const policies = this.policies(def.namespaced ? attrs.namespace : '');
    if (policies.length === 0) return;
    const object = attrs.object ?? attrs.oldObject;
    if (!object) return;
    const request = this.request(attrs, object, attrs.oldObject);
    const context = requestContext(request);
    const options = this.engineOptions();
    const blocked = new Map<string, Map<string, string>>();
    const reportResults: Array<{ policy: KubeObject; result: RuleResult }> = [];
    let webhook = 'validate.kyverno.svc-fail';
    for (const policy of policies) {
      const spec = (policy.spec ?? {}) as Obj;
      const failurePolicy = String(spec.failurePolicy ?? 'Fail');
      let results: RuleResult[];
      try {
        results = evaluatePolicy(policy as unknown as Obj, request, context, options);
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
              undefined,
              options,
            ).find((r) => r.rule === result.rule);
            if (before?.status === 'fail') violation = false;
          }
        }
        // Enforce failures block, and Enforce rule errors under failurePolicy Fail (fail closed).
        // Audit rules are evaluated apart, as Kyverno's HandleValidationAudit does: they never block.
        if (violation && result.action === 'Enforce') {
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
    attrs.onCommit.push((stored) => this.queueBackground(attrs, stored, policies));
  }
}
