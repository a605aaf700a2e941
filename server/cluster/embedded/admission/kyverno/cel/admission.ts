import type { AdmissionAttributes, AdmissionPlugin } from '../../../registry/admission.ts';
import { errors, StatusError } from '../../../api/status.ts';
import type { Registry } from '../../../registry/generic.ts';
import type { ResourceCatalog } from '../../../registry/catalog.ts';
import { storageName } from '../../../registry/types.ts';
import type { Store } from '../../../storage/store.ts';
import type { KubeObject } from '../../../storage/types.ts';
import { baseActivation } from '../../validatingadmissionpolicy/activation.ts';
import type { RuleResult } from '../engine.ts';
import { writeReport } from '../reports.ts';
import type { ResourceLookup } from './libraries.ts';
import {
  admissionEnabled,
  evaluateValidatingPolicy,
  validatingPolicyProblems,
  type VpolResult,
} from './validating-policy.ts';

type Obj = Record<string, unknown>;

const clusterPolicies = 'validatingpolicies.policies.kyverno.io';
const namespacedPolicies = 'namespacedvalidatingpolicies.policies.kyverno.io';
const celExceptions = 'policyexceptions.policies.kyverno.io';
const checkedKinds = new Set([clusterPolicies, namespacedPolicies, 'imagevalidatingpolicies.policies.kyverno.io']);

function webhookError(message: string): StatusError {
  const error = errors.badRequest(message);
  delete error.status.reason;
  return error;
}

/** Resource lookups for Kyverno's resource.get / resource.list, straight from the store. */
export function storeLookup(store: Store, catalog: ResourceCatalog): ResourceLookup {
  const defOf = (apiVersion: string, resource: string) => {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    return catalog.find(group!, version!, resource);
  };
  return {
    get(apiVersion, resource, namespace, name) {
      const def = defOf(apiVersion, resource);
      return def ? (store.get(storageName(def), def.namespaced ? namespace : '', name) as Obj | undefined) : undefined;
    },
    list(apiVersion, resource, namespace) {
      const def = defOf(apiVersion, resource);
      return def
        ? ([...store.peek(storageName(def), def.namespaced ? namespace || undefined : undefined)] as Obj[])
        : [];
    },
  };
}

/**
 * Kyverno's ValidatingPolicy and NamespacedValidatingPolicy webhooks (vpol/nvpol.validate.kyverno.svc):
 * checks policies when they are written, evaluates them on every request, denies with
 * "Policy <name> failed: <message>", warns, and records results in PolicyReports.
 */
export class ValidatingPolicyAdmission implements AdmissionPlugin {
  readonly name = 'KyvernoValidatingPolicy';
  private readonly store: Store;
  private readonly catalog: ResourceCatalog;
  private readonly registry: () => Registry;
  private readonly lookup: ResourceLookup;

  constructor(store: Store, catalog: ResourceCatalog, registry: () => Registry) {
    this.store = store;
    this.catalog = catalog;
    this.registry = registry;
    this.lookup = storeLookup(store, catalog);
  }

  /** Policies that apply to a request; the same filters as Kyverno's resource webhooks. */
  private policies(attrs: AdmissionAttributes): KubeObject[] {
    const cluster = this.store.peek(clusterPolicies);
    const namespaced = attrs.namespace ? this.store.peek(namespacedPolicies, attrs.namespace) : [];
    return [...cluster, ...namespaced].filter((p) => !p.metadata.deletionTimestamp && admissionEnabled(p));
  }

  /** Every policy's verdict on the request (undefined entries dropped: not matched). */
  evaluate(attrs: AdmissionAttributes, policies = this.policies(attrs)): VpolResult[] {
    if (policies.length === 0) return [];
    const namespace = attrs.namespace ? this.store.get('namespaces', '', attrs.namespace) : undefined;
    const base = baseActivation(attrs, namespace, undefined) as unknown as Record<string, unknown>;
    const exceptions = this.store.peek(celExceptions);
    const out: VpolResult[] = [];
    for (const policy of [...policies].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))) {
      const result = evaluateValidatingPolicy(policy, { attrs, namespace, base, resources: this.lookup, exceptions });
      if (result) out.push(result);
    }
    return out;
  }

  validate(attrs: AdmissionAttributes): void {
    const def = attrs.resource;
    const resource = storageName(def);
    if (checkedKinds.has(resource)) {
      // ImageValidatingPolicy is served but not evaluated here (it needs a registry), so not compiled either.
      if (
        resource !== 'imagevalidatingpolicies.policies.kyverno.io' &&
        attrs.object &&
        (attrs.operation === 'CREATE' || attrs.operation === 'UPDATE') &&
        !attrs.subresource
      ) {
        const problems = validatingPolicyProblems(attrs.object as unknown as Obj);
        if (problems.length)
          throw webhookError(
            `admission webhook "validate-policy.kyverno.svc" denied the request: ${problems.join('; ')}`,
          );
      }
      return;
    }
    if (def.group === 'wgpolicyk8s.io' || def.group === 'kyverno.io' || def.group === 'policies.kyverno.io') return;
    if (['kube-system', 'kube-public', 'kube-node-lease', 'kyverno'].includes(attrs.namespace)) return;
    if (
      ['Event', 'Node', 'Binding'].includes(def.kind) ||
      def.group === 'authorization.k8s.io' ||
      def.group === 'authentication.k8s.io'
    )
      return;
    const results = this.evaluate(attrs);
    if (results.length === 0) return;
    const denials: string[] = [];
    let webhook = '';
    for (const r of results) {
      if (r.status !== 'fail' && r.status !== 'error') continue;
      const line = `Policy ${r.policy.metadata.name} ${r.status === 'fail' ? 'failed' : 'error'}: ${r.message}`;
      if (r.actions.includes('Deny')) {
        denials.push(line);
        const prefix = r.policy.kind === 'NamespacedValidatingPolicy' ? 'nvpol' : 'vpol';
        const failure =
          String((r.policy.spec as Obj | undefined)?.failurePolicy ?? 'Fail') === 'Ignore' ? 'ignore' : 'fail';
        webhook ||= `${prefix}.validate.kyverno.svc-${failure}`;
      }
      if (r.actions.includes('Warn')) attrs.warnings.push(line);
    }
    if (denials.length) throw webhookError(`admission webhook "${webhook}" denied the request: ${denials.join('; ')}`);
    if (attrs.operation === 'DELETE') return;
    const reportable = results.map((r) => ({ policy: r.policy, result: toRuleResult(r) }));
    attrs.onCommit.push((stored) =>
      writeReport(this.registry(), this.catalog, stored, reportable, 'KyvernoValidatingPolicy'),
    );
  }
}

function toRuleResult(r: VpolResult): RuleResult {
  return {
    policy: String(r.policy.metadata.name),
    rule: '',
    status: r.status,
    message: r.message,
    action: r.actions.includes('Deny') ? 'Enforce' : 'Audit',
  };
}
