import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';
import type { AuditLog } from '../../audit/log.ts';
import type { Authorizer } from '../../authorization/authorizer.ts';
import { StatusError, type Status } from '../../api/status.ts';
import type { ResourceCatalog } from '../../registry/catalog.ts';
import { selectorMatches } from '../../storage/selectors.ts';
import type { Store } from '../../storage/store.ts';
import type { KubeObject } from '../../storage/types.ts';
import { toCel } from '../../cel/values.ts';
import { baseActivation } from './activation.ts';
import { admissionEnvironment, policyVariables } from '../../cel/admission.ts';
import { evaluatePolicyExpressions, type ValidationOutcome } from './evaluate.ts';
import { matchResourcesMatch } from './match.ts';

type Obj = Record<string, unknown>;
const policyStore = 'validatingadmissionpolicies.admissionregistration.k8s.io';
const bindingStore = 'validatingadmissionpolicybindings.admissionregistration.k8s.io';
const failureKey = 'validation.policy.admission.k8s.io/validation_failure';

const reasonCodes: Record<string, number> = {
  Unauthorized: 401,
  Forbidden: 403,
  Invalid: 422,
  RequestEntityTooLarge: 413,
};

export interface PolicyEvaluation {
  policy: string;
  binding: string;
  actions: string[];
  status: 'pass' | 'fail' | 'skip';
  outcomes: ValidationOutcome[];
  auditAnnotations: Record<string, string>;
  /** Params, matchConditions or auditAnnotations that could not be evaluated (failurePolicy Fail). */
  configurationError?: string;
}

interface Denial {
  policy: string;
  binding: string;
  message: string;
  reason: string;
}

/** The error kube-apiserver returns: admission.NewForbidden with the validation's reason and code. */
export function denialError(attrs: AdmissionAttributes, denial: Denial): StatusError {
  const def = attrs.resource;
  const resource = def.group ? `${def.plural}.${def.group}` : def.plural;
  const name = attrs.name || attrs.object?.metadata.name || '';
  const message = `ValidatingAdmissionPolicy '${denial.policy}' with binding '${denial.binding}' denied request: ${denial.message}`;
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: name ? `${resource} "${name}" is forbidden: ${message}` : `${resource} is forbidden: ${message}`,
    reason: denial.reason,
    details: {
      ...(name ? { name } : {}),
      ...(def.group ? { group: def.group } : {}),
      kind: def.plural,
      causes: [{ reason: '', message }],
    },
    code: reasonCodes[denial.reason] ?? 500,
  };
  delete (status.details!.causes![0] as { reason?: string }).reason;
  return new StatusError(status);
}

/**
 * The ValidatingAdmissionPolicy admission plugin (k8s.io/apiserver/pkg/admission/plugin/policy/validating):
 * every binding of a matching policy is evaluated, per param, and its validationActions decide
 * whether a failure denies, warns or goes to the audit log.
 */
export class ValidatingAdmissionPolicyPlugin implements AdmissionPlugin {
  readonly name = 'ValidatingAdmissionPolicy';
  private readonly store: Store;
  private readonly catalog: ResourceCatalog;
  private readonly authorizer: () => Authorizer;
  private readonly audit: AuditLog | undefined;

  constructor(store: Store, catalog: ResourceCatalog, authorizer: () => Authorizer, audit?: AuditLog) {
    this.store = store;
    this.catalog = catalog;
    this.authorizer = authorizer;
    this.audit = audit;
  }

  /** Params for one binding; undefined means "not found", an error string a configuration problem. */
  private params(policy: KubeObject, binding: KubeObject, attrs: AdmissionAttributes): unknown[] | string {
    const paramKind = (policy.spec as Obj).paramKind as Obj | undefined;
    if (!paramKind) return [null];
    const ref = (binding.spec as Obj).paramRef as Obj | undefined;
    if (!ref) return [null];
    const def = this.catalog.findKind(String(paramKind.apiVersion), String(paramKind.kind));
    if (!def)
      return `failed to configure policy: failed to find resource referenced by paramKind: '${String(paramKind.apiVersion)}, Kind=${String(paramKind.kind)}'`;
    const store = def.group ? `${def.plural}.${def.group}` : def.plural;
    let namespace = '';
    if (def.namespaced) {
      namespace = String(ref.namespace ?? '') || attrs.namespace;
      if (!namespace)
        return 'failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources';
    }
    let found: KubeObject[];
    if (ref.name) {
      const one = this.store.get(store, namespace, String(ref.name));
      found = one ? [one] : [];
    } else {
      found = [...this.store.peek(store, namespace || undefined)].filter((o) =>
        selectorMatches((ref.selector as Obj) ?? {}, o.metadata.labels ?? {}),
      );
    }
    if (found.length === 0) {
      if (ref.parameterNotFoundAction === 'Deny')
        return 'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction';
      return [];
    }
    return found.map((o) => toCel(o));
  }

  /**
   * Every (policy, binding, param) evaluation that applies to the request, with what it
   * decided: pass, fail (validations false or errored under failurePolicy Fail) or skip.
   * Without bindings (Kyverno's CLI evaluates a lone policy) pass `unbound: true`.
   */
  evaluate(attrs: AdmissionAttributes, options: { unbound?: boolean } = {}): PolicyEvaluation[] {
    const policies = this.store.peek(policyStore);
    if (policies.length === 0) return [];
    const bindings = this.store.peek(bindingStore);
    if (bindings.length === 0 && !options.unbound) return [];
    const namespace = attrs.namespace ? this.store.get('namespaces', '', attrs.namespace) : undefined;
    let base: Record<string, unknown> | undefined;
    const out: PolicyEvaluation[] = [];
    const sortedPolicies = [...policies].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    for (const policy of sortedPolicies) {
      const spec = (policy.spec ?? {}) as Obj;
      const policyName = String(policy.metadata.name);
      if (!matchResourcesMatch(spec.matchConstraints as Obj | undefined, attrs, namespace)) continue;
      const failurePolicy = String(spec.failurePolicy ?? 'Fail');
      const env = admissionEnvironment(policyVariables(spec.paramKind !== undefined));
      let mine = bindings
        .filter((b) => (b.spec as Obj | undefined)?.policyName === policyName)
        .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
      if (mine.length === 0 && options.unbound)
        mine = [
          { apiVersion: '', kind: '', metadata: { name: '' }, spec: { policyName, validationActions: ['Deny'] } },
        ];
      for (const binding of mine) {
        const bspec = (binding.spec ?? {}) as Obj;
        const bindingName = String(binding.metadata.name);
        const actions = (bspec.validationActions as string[] | undefined) ?? [];
        const evaluation: PolicyEvaluation = {
          policy: policyName,
          binding: bindingName,
          actions,
          status: 'pass',
          outcomes: [],
          auditAnnotations: {},
        };
        out.push(evaluation);
        if (!matchResourcesMatch(bspec.matchResources as Obj | undefined, attrs, namespace)) {
          evaluation.status = 'skip';
          continue;
        }
        const params = this.params(policy, binding, attrs);
        if (typeof params === 'string') {
          evaluation.status = failurePolicy === 'Fail' ? 'fail' : 'skip';
          evaluation.configurationError = params;
          continue;
        }
        if (params.length === 0) evaluation.status = 'skip';
        base ??= baseActivation(attrs, namespace, this.authorizer()) as unknown as Record<string, unknown>;
        let matchedAny = false;
        for (const param of params) {
          const result = evaluatePolicyExpressions(
            env,
            {
              matchConditions: spec.matchConditions as Obj[] | undefined,
              variables: spec.variables as Obj[] | undefined,
              validations: spec.validations as Obj[] | undefined,
              auditAnnotations: spec.auditAnnotations as Obj[] | undefined,
              annotationPrefix: policyName,
            },
            { ...base, params: param },
          );
          if (result.errors.length && failurePolicy === 'Fail') {
            evaluation.configurationError ??= result.errors[0];
            evaluation.status = 'fail';
          }
          if (!result.matched) continue;
          matchedAny = true;
          Object.assign(evaluation.auditAnnotations, result.auditAnnotations);
          for (const outcome of result.outcomes) {
            if (outcome.kind === 'error' && failurePolicy === 'Ignore') continue;
            evaluation.outcomes.push(outcome);
            evaluation.status = 'fail';
          }
        }
        if (!matchedAny && evaluation.status === 'pass') evaluation.status = 'skip';
      }
    }
    return out;
  }

  validate(attrs: AdmissionAttributes): void {
    const evaluations = this.evaluate(attrs);
    const denials: Denial[] = [];
    const auditAnnotations: Record<string, string> = {};
    const auditFailures: Obj[] = [];
    for (const e of evaluations) {
      Object.assign(auditAnnotations, e.auditAnnotations);
      if (e.configurationError)
        denials.push({ policy: e.policy, binding: e.binding, message: e.configurationError, reason: 'Forbidden' });
      for (const outcome of e.outcomes)
        this.apply(attrs, e.actions, e.policy, e.binding, outcome, denials, auditFailures);
    }
    if (auditFailures.length) auditAnnotations[failureKey] = JSON.stringify(auditFailures);
    if (Object.keys(auditAnnotations).length && !attrs.dryRun) this.recordAudit(attrs, auditAnnotations);
    if (denials.length) throw denialError(attrs, denials[0]!);
  }

  private apply(
    attrs: AdmissionAttributes,
    actions: string[],
    policy: string,
    binding: string,
    outcome: ValidationOutcome,
    denials: Denial[],
    auditFailures: Obj[],
  ): void {
    if (actions.includes('Deny')) denials.push({ policy, binding, message: outcome.message, reason: outcome.reason });
    if (actions.includes('Warn'))
      attrs.warnings.push(
        `Validation failed for ValidatingAdmissionPolicy '${policy}' with binding '${binding}': ${outcome.message}`,
      );
    if (actions.includes('Audit'))
      auditFailures.push({
        message: outcome.message,
        policy,
        binding,
        expressionIndex: outcome.index,
        validationActions: actions,
      });
  }

  private recordAudit(attrs: AdmissionAttributes, annotations: Record<string, string>): void {
    const def = attrs.resource;
    const verb = { CREATE: 'create', UPDATE: 'update', DELETE: 'delete', CONNECT: 'connect' }[attrs.operation];
    this.audit?.record({
      verb,
      user: attrs.user,
      objectRef: {
        resource: def.plural,
        ...(attrs.namespace ? { namespace: attrs.namespace } : {}),
        ...(attrs.name || attrs.object?.metadata.name ? { name: attrs.name || attrs.object?.metadata.name } : {}),
        ...(def.group ? { apiGroup: def.group } : {}),
        apiVersion: def.version,
      },
      annotations,
    });
  }
}
