import { withAutogenRules } from '../admission/kyverno/autogen.ts';
import { ValidatingPolicyAdmission } from '../admission/kyverno/cel/admission.ts';
import { autogenConfigs } from '../admission/kyverno/cel/autogen.ts';
import { matchResourcesMatch } from '../admission/validatingadmissionpolicy/match.ts';
import type { AdmissionAttributes } from '../registry/admission.ts';
import { storeReaders, type BackgroundQueue, type BackgroundRequest } from '../admission/kyverno/background.ts';
import { evaluatePolicy, mutateTargets, type EngineRequest, type RuleResult } from '../admission/kyverno/engine.ts';
import { generateForRule, type GeneratedResource } from '../admission/kyverno/generate.ts';
import { excluded, matchBlockMatches } from '../admission/kyverno/match.ts';
import { writeReport } from '../admission/kyverno/reports.ts';
import { substitute } from '../admission/kyverno/variables.ts';
import { StatusError } from '../api/status.ts';
import type { ResourceDef } from '../registry/types.ts';
import { storageName } from '../registry/types.ts';
import type { KubeObject } from '../storage/types.ts';
import type { Controller, ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;

const policyStores = ['clusterpolicies.kyverno.io', 'policies.kyverno.io'];
const celPolicyStores = ['validatingpolicies.policies.kyverno.io', 'namespacedvalidatingpolicies.policies.kyverno.io'];
const controllerUser = {
  username: 'system:serviceaccount:kyverno:kyverno-background-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kyverno', 'system:authenticated'],
};

function specOf(o: KubeObject): Obj {
  return (o.spec ?? {}) as Obj;
}

/** Whether `actual` already has every field of `wanted` (defaults the API server added may be extra). */
function covers(actual: unknown, wanted: unknown): boolean {
  if (wanted === null || typeof wanted !== 'object') return actual === wanted;
  if (Array.isArray(wanted))
    return Array.isArray(actual) && actual.length === wanted.length && wanted.every((w, i) => covers(actual[i], w));
  if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
  return Object.entries(wanted).every(([k, v]) => covers((actual as Obj)[k], v));
}

/** The part of a generated object generate owns: all but status, and of metadata only the labels. */
function ownedPart(object: Obj): Obj {
  const { metadata, status: _status, ...rest } = object;
  return { ...rest, metadata: { labels: ((metadata as Obj | undefined)?.labels as Obj | undefined) ?? {} } };
}

/**
 * Kyverno's background controller, in process: runs generate and mutate-existing rules for
 * triggers admission queued, applies generateExisting and mutateExistingOnPolicyUpdate when a
 * policy is written, keeps synchronized downstream resources in step (recreating or reverting
 * them), and runs background scans of existing resources into PolicyReports.
 */
export class KyvernoBackgroundController implements Controller {
  readonly name = 'kyverno-background';
  readonly watches = ['*'];
  private readonly ctx: ControllerContext;
  private readonly queue: BackgroundQueue;
  /** Policy versions already handled ("uid@resourceVersion"). */
  private readonly seen = new Set<string>();

  constructor(ctx: ControllerContext, queue: BackgroundQueue) {
    this.ctx = ctx;
    this.queue = queue;
  }

  private policies(): KubeObject[] {
    return policyStores.flatMap((s) => this.ctx.store.list(s)).filter((p) => !p.metadata.deletionTimestamp);
  }

  private defOf(resource: string): ResourceDef | undefined {
    return this.ctx.catalog.all().find((d) => storageName(d) === resource);
  }

  private request(def: ResourceDef, object: KubeObject, operation: string, user = controllerUser): EngineRequest {
    const meta = object.metadata;
    const ns = meta.namespace ? this.ctx.store.get('namespaces', '', meta.namespace) : undefined;
    return {
      group: def.group,
      version: def.version,
      kind: def.kind,
      subresource: '',
      name: meta.name ?? '',
      namespace: def.namespaced ? (meta.namespace ?? '') : '',
      labels: meta.labels ?? {},
      annotations: meta.annotations ?? {},
      namespaceLabels: ns?.metadata.labels ?? {},
      operation,
      userInfo: user,
      roles: [],
      clusterRoles: [],
      object: object as unknown as Obj,
      oldObject: null,
    };
  }

  async sync(): Promise<void> {
    const policies = this.policies();
    for (const request of this.queue.drain()) await this.handle(request, policies);
    for (const policy of celPolicyStores.flatMap((s) => this.ctx.store.list(s))) {
      const version = `${policy.metadata.uid}@${policy.metadata.resourceVersion}`;
      if (this.seen.has(version)) continue;
      this.seen.add(version);
      this.celBackgroundScan(policy);
    }
    if (policies.length === 0) return;
    for (const policy of policies) {
      const version = `${policy.metadata.uid}@${policy.metadata.resourceVersion}`;
      if (this.seen.has(version)) continue;
      this.seen.add(version);
      await this.onPolicyWritten(policy);
    }
    await this.synchronize(policies);
  }

  /** Every stored object a rule matches (triggers for generateExisting, mutate existing, scans). */
  private matching(rule: Obj, policy: KubeObject): Array<{ def: ResourceDef; object: KubeObject }> {
    const kinds = new Set(
      [
        ...(((rule.match as Obj | undefined)?.any as Obj[] | undefined) ?? []),
        ...(((rule.match as Obj | undefined)?.all as Obj[] | undefined) ?? []),
        ...((rule.match as Obj | undefined)?.resources ? [rule.match as Obj] : []),
      ]
        .flatMap((f) => ((f.resources as Obj | undefined)?.kinds as string[] | undefined) ?? [])
        .map((k) => k.split('/').pop()!),
    );
    const out: Array<{ def: ResourceDef; object: KubeObject }> = [];
    for (const def of this.ctx.catalog.all()) {
      if (!kinds.has(def.kind) && !kinds.has('*')) continue;
      const namespace = policy.kind === 'Policy' ? policy.metadata.namespace : undefined;
      for (const object of this.ctx.store.list(storageName(def), namespace)) {
        if (['kube-system', 'kube-public', 'kube-node-lease', 'kyverno'].includes(object.metadata.namespace ?? ''))
          continue;
        const req = this.request(def, object, 'CREATE');
        if (matchBlockMatches(rule.match as Obj | undefined, req) && !excluded(rule.exclude as Obj | undefined, req))
          out.push({ def, object });
      }
    }
    return out;
  }

  private async onPolicyWritten(policy: KubeObject): Promise<void> {
    const spec = specOf(policy);
    const rules = withAutogenRules(policy as unknown as Obj);
    for (const rule of rules) {
      const generate = rule.generate as Obj | undefined;
      if (generate && (spec.generateExisting === true || generate.generateExisting === true)) {
        for (const { def, object } of this.matching(rule, policy)) await this.generate(policy, rule, def, object);
      }
      const mutate = rule.mutate as Obj | undefined;
      if (mutate?.targets && mutate.mutateExistingOnPolicyUpdate === true) {
        for (const { def, object } of this.matching(rule, policy)) await this.mutateExisting(policy, rule, def, object);
      }
    }
    if (spec.background !== false) this.backgroundScan(policy, rules);
  }

  /** A ValidatingPolicy's background scan (evaluation.background.enabled, on by default). */
  private celBackgroundScan(policy: KubeObject): void {
    const spec = specOf(policy);
    if (((spec.evaluation as Obj | undefined)?.background as Obj | undefined)?.enabled === false) return;
    const engine = new ValidatingPolicyAdmission(this.ctx.store, this.ctx.catalog, () => this.ctx.registry);
    const specs = [spec, ...Object.values(autogenConfigs(spec)).map((c) => c.spec)];
    for (const def of this.ctx.catalog.all()) {
      if (def.virtual || def.group === 'wgpolicyk8s.io' || def.kind === 'ReplicaSet') continue;
      const namespace = policy.kind === 'NamespacedValidatingPolicy' ? policy.metadata.namespace : undefined;
      for (const object of this.ctx.store.list(storageName(def), namespace)) {
        if (['kube-system', 'kube-public', 'kube-node-lease', 'kyverno'].includes(object.metadata.namespace ?? ''))
          continue;
        const attrs: AdmissionAttributes = {
          operation: 'CREATE',
          resource: def,
          subresource: '',
          namespace: def.namespaced ? (object.metadata.namespace ?? '') : '',
          name: object.metadata.name ?? '',
          object,
          user: controllerUser,
          dryRun: false,
          warnings: [],
          onCommit: [],
        };
        const ns = attrs.namespace ? this.ctx.store.get('namespaces', '', attrs.namespace) : undefined;
        if (!specs.some((s) => matchResourcesMatch(s.matchConstraints as Obj | undefined, attrs, ns))) continue;
        const results = engine.evaluate(attrs, [policy]);
        if (results.length === 0) continue;
        writeReport(
          this.ctx.registry,
          this.ctx.catalog,
          object,
          results.map((r) => ({
            policy,
            result: {
              policy: String(policy.metadata.name),
              rule: '',
              status: r.status,
              message: r.message,
              action: 'Audit',
            },
          })),
          'KyvernoValidatingPolicy',
        );
      }
    }
  }

  /** Background scan: every existing resource the policy's validate rules match, into PolicyReports. */
  private backgroundScan(policy: KubeObject, rules: Obj[]): void {
    const options = {
      loaders: storeReaders(this.ctx.store, this.ctx.catalog).loaders,
      exceptions: this.ctx.store.peek('policyexceptions.kyverno.io') as unknown as Obj[],
    };
    const byResource = new Map<
      string,
      { object: KubeObject; results: Array<{ policy: KubeObject; result: RuleResult }> }
    >();
    for (const rule of rules.filter((r) => r.validate)) {
      for (const { def, object } of this.matching(rule, policy)) {
        if (def.kind === 'ReplicaSet' || def.group === 'wgpolicyk8s.io') continue;
        const results = evaluatePolicy(
          policy as unknown as Obj,
          this.request(def, object, 'CREATE'),
          undefined,
          options,
        ).filter((r) => r.rule === rule.name);
        if (!results.length) continue;
        const key = object.metadata.uid ?? '';
        const entry = byResource.get(key) ?? { object, results: [] };
        entry.results.push(...results.map((result) => ({ policy, result })));
        byResource.set(key, entry);
      }
    }
    for (const { object, results } of byResource.values())
      writeReport(this.ctx.registry, this.ctx.catalog, object, results);
  }

  private async handle(request: BackgroundRequest, policies: KubeObject[]): Promise<void> {
    const policy = policies.find(
      (p) =>
        p.kind === request.policy.kind &&
        (p.metadata.namespace ?? '') === request.policy.namespace &&
        p.metadata.name === request.policy.name,
    );
    const def = this.defOf(request.trigger.resource);
    if (!policy || !def) return;
    const trigger = this.ctx.store.get(request.trigger.resource, request.trigger.namespace, request.trigger.name);
    if (!trigger || trigger.metadata.uid !== request.trigger.uid) return;
    const rule = withAutogenRules(policy as unknown as Obj).find((r) => r.name === request.rule);
    if (!rule) return;
    if (request.type === 'generate') await this.generate(policy, rule, def, trigger, request.user);
    else await this.mutateExisting(policy, rule, def, trigger, request.user);
  }

  private desired(
    policy: KubeObject,
    rule: Obj,
    def: ResourceDef,
    trigger: KubeObject,
    user = controllerUser,
  ): GeneratedResource[] {
    const { loaders, sources } = storeReaders(this.ctx.store, this.ctx.catalog);
    const { result, resources } = generateForRule(
      policy as unknown as Obj,
      rule,
      this.request(def, trigger, 'CREATE', user),
      { loaders, sources },
    );
    if (result.status === 'error')
      this.ctx.event(
        policy,
        'Warning',
        'PolicyError',
        `policy ${policy.metadata.name}/${String(rule.name)} error: ${result.message}`,
        'kyverno-generate',
      );
    return resources;
  }

  private async generate(
    policy: KubeObject,
    rule: Obj,
    def: ResourceDef,
    trigger: KubeObject,
    user = controllerUser,
  ): Promise<void> {
    for (const resource of this.desired(policy, rule, def, trigger, user)) await this.apply(resource.object);
  }

  /** Creates the downstream object, or brings it back to what generate wants. */
  private async apply(object: Obj): Promise<void> {
    const meta = (object.metadata ?? {}) as Obj;
    const def = this.ctx.catalog.findKind(String(object.apiVersion), String(object.kind));
    if (!def) return;
    const namespace = def.namespaced ? String(meta.namespace ?? '') : '';
    const options = { user: controllerUser, dryRun: false, fieldManager: 'kyverno', warnings: [] as string[] };
    const existing = this.ctx.store.get(storageName(def), namespace, String(meta.name));
    try {
      if (!existing) {
        if (namespace && !this.ctx.store.get('namespaces', '', namespace)) return;
        await this.ctx.registry.create(def, namespace, structuredClone(object) as unknown as KubeObject, options);
      } else if (!covers(existing, ownedPart(object))) {
        const next = {
          ...existing,
          ...structuredClone(object),
          metadata: {
            ...existing.metadata,
            labels: { ...existing.metadata.labels, ...((meta.labels as Record<string, string>) ?? {}) },
          },
        };
        await this.ctx.registry.update(def, namespace, String(meta.name), next as unknown as KubeObject, options);
      }
    } catch (error) {
      if (!(error instanceof StatusError)) throw error;
    }
  }

  private async mutateExisting(
    policy: KubeObject,
    rule: Obj,
    def: ResourceDef,
    trigger: KubeObject,
    user = controllerUser,
  ): Promise<void> {
    const req = this.request(def, trigger, 'CREATE', user);
    const context = { request: { object: trigger } };
    const targets: KubeObject[] = [];
    for (const t of ((rule.mutate as Obj).targets as Obj[]) ?? []) {
      const spec = substitute(t, context) as Obj;
      const tdef = this.ctx.catalog.findKind(String(spec.apiVersion), String(spec.kind));
      if (!tdef) continue;
      const namespace = tdef.namespaced ? String(spec.namespace ?? trigger.metadata.namespace ?? '') : '';
      const name = String(spec.name ?? '*');
      for (const o of this.ctx.store.list(storageName(tdef), namespace || undefined))
        if (
          name === '*' ||
          o.metadata.name === name ||
          (name.includes('*') && new RegExp(`^${name.replace(/\*/g, '.*')}$`).test(o.metadata.name ?? ''))
        )
          targets.push(o);
    }
    const { patched } = mutateTargets(policy as unknown as Obj, rule, req, targets as unknown as Obj[], {
      loaders: storeReaders(this.ctx.store, this.ctx.catalog).loaders,
    });
    for (const object of patched) {
      const o = object as unknown as KubeObject;
      const tdef = this.ctx.catalog.findKind(o.apiVersion, o.kind);
      if (!tdef) continue;
      try {
        await this.ctx.registry.update(tdef, o.metadata.namespace ?? '', o.metadata.name ?? '', o, {
          user: controllerUser,
          dryRun: false,
          fieldManager: 'kyverno',
          warnings: [],
        });
      } catch (error) {
        if (!(error instanceof StatusError)) throw error;
      }
    }
  }

  /**
   * synchronize: true keeps downstream objects as generate wants them: recreated when deleted,
   * reverted when changed, updated when a clone source changes, deleted with their trigger.
   */
  private async synchronize(policies: KubeObject[]): Promise<void> {
    for (const policy of policies) {
      for (const rule of withAutogenRules(policy as unknown as Obj)) {
        const generate = rule.generate as Obj | undefined;
        if (!generate || generate.synchronize !== true) continue;
        const triggers = this.matching(rule, policy);
        for (const { def, object } of triggers) await this.generate(policy, rule, def, object);
        // Downstream objects whose trigger is gone are deleted.
        const def = this.ctx.catalog.findKind(String(generate.apiVersion ?? ''), String(generate.kind ?? ''));
        if (!def) continue;
        const uids = new Set(triggers.map((t) => t.object.metadata.uid));
        for (const o of this.ctx.store.list(storageName(def))) {
          const labels = o.metadata.labels ?? {};
          if (
            labels['generate.kyverno.io/policy-name'] !== policy.metadata.name ||
            labels['generate.kyverno.io/rule-name'] !== rule.name
          )
            continue;
          const triggerUid = labels['generate.kyverno.io/trigger-uid'];
          if (triggerUid && !uids.has(triggerUid)) {
            try {
              await this.ctx.registry.delete(def, o.metadata.namespace ?? '', o.metadata.name ?? '', {
                user: controllerUser,
                dryRun: false,
                fieldManager: 'kyverno',
                warnings: [],
              });
            } catch (error) {
              if (!(error instanceof StatusError)) throw error;
            }
          }
        }
      }
    }
  }
}
