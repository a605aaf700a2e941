import { selectorMatches } from '../../storage/selectors.ts';
import { loadContext, type ContextLoaders } from './context.ts';
import { evaluateCondition, normalizeConditions, type Condition } from './conditions.ts';
import type { EngineRequest, RuleResult } from './engine.ts';
import { requestContext } from './engine.ts';
import { evaluateExpression, substitute } from './variables.ts';

type Obj = Record<string, unknown>;

/** Reads the sources generate rules clone from. */
export interface CloneSource {
  get(apiVersion: string, kind: string, namespace: string, name: string): Obj | undefined;
  list(apiVersion: string, kind: string, namespace: string): Obj[];
}

export interface GeneratedResource {
  object: Obj;
  synchronize: boolean;
  /** Where a clone came from ("namespace/name"), kept to re-sync. */
  source?: { apiVersion: string; kind: string; namespace: string; name: string };
}

/** The labels Kyverno's background controller puts on what it generates. */
export function generateLabels(policy: Obj, rule: string, trigger: Obj): Record<string, string> {
  const meta = (policy.metadata ?? {}) as Obj;
  const tmeta = (trigger.metadata ?? {}) as Obj;
  const [group, version] = String(trigger.apiVersion ?? 'v1').includes('/')
    ? String(trigger.apiVersion).split('/')
    : ['', String(trigger.apiVersion ?? 'v1')];
  return {
    'app.kubernetes.io/managed-by': 'kyverno',
    'generate.kyverno.io/policy-name': String(meta.name ?? ''),
    'generate.kyverno.io/policy-namespace': String(meta.namespace ?? ''),
    'generate.kyverno.io/rule-name': rule,
    'generate.kyverno.io/trigger-group': group!,
    'generate.kyverno.io/trigger-kind': String(trigger.kind ?? ''),
    'generate.kyverno.io/trigger-namespace': String(tmeta.namespace ?? ''),
    'generate.kyverno.io/trigger-uid': String(tmeta.uid ?? ''),
    'generate.kyverno.io/trigger-version': version!,
  };
}

function strip(object: Obj): Obj {
  const copy = structuredClone(object);
  const meta = (copy.metadata ?? {}) as Obj;
  for (const key of [
    'uid',
    'resourceVersion',
    'creationTimestamp',
    'managedFields',
    'generation',
    'ownerReferences',
    'selfLink',
  ])
    delete meta[key];
  delete copy.status;
  return copy;
}

function one(
  spec: Obj,
  context: Obj,
  policy: Obj,
  ruleName: string,
  trigger: Obj,
  sources: CloneSource | undefined,
): GeneratedResource[] {
  const apiVersion = String(substitute(spec.apiVersion ?? '', context));
  const kind = String(substitute(spec.kind ?? '', context));
  const name = String(substitute(spec.name ?? '', context));
  const namespace = String(substitute(spec.namespace ?? '', context));
  const synchronize = spec.synchronize === true;
  const labels = generateLabels(policy, ruleName, trigger);
  const finish = (object: Obj, meta: Obj): Obj => ({
    ...object,
    apiVersion: object.apiVersion ?? apiVersion,
    kind: object.kind ?? kind,
    metadata: { ...meta, labels: { ...((meta.labels as Obj | undefined) ?? {}), ...labels } },
  });
  if (spec.data !== undefined) {
    const data = substitute(spec.data, context) as Obj;
    const meta = { ...((data.metadata as Obj | undefined) ?? {}), name, ...(namespace ? { namespace } : {}) };
    return [{ object: finish({ apiVersion, kind, ...data }, meta), synchronize }];
  }
  if (spec.clone !== undefined) {
    const clone = substitute(spec.clone, context) as Obj;
    const source = sources?.get(apiVersion, kind, String(clone.namespace ?? ''), String(clone.name ?? ''));
    if (!source)
      throw new Error(
        `source resource not found: ${kind}/${String(clone.namespace ?? '')}/${String(clone.name ?? '')}`,
      );
    const copy = strip(source);
    const meta = { ...((copy.metadata as Obj) ?? {}), name, ...(namespace ? { namespace } : {}) };
    return [
      {
        object: finish(copy, meta),
        synchronize,
        source: { apiVersion, kind, namespace: String(clone.namespace ?? ''), name: String(clone.name ?? '') },
      },
    ];
  }
  if (spec.cloneList !== undefined) {
    const list = substitute(spec.cloneList, context) as Obj;
    const out: GeneratedResource[] = [];
    for (const entry of (list.kinds as string[] | undefined) ?? []) {
      const parts = entry.split('/');
      const k = parts.pop()!;
      const av = parts.join('/') || 'v1';
      for (const source of sources?.list(av, k, String(list.namespace ?? '')) ?? []) {
        const smeta = (source.metadata ?? {}) as Obj;
        if (list.selector && !selectorMatches(list.selector as Obj, (smeta.labels as Record<string, string>) ?? {}))
          continue;
        const copy = strip(source);
        const meta = { ...((copy.metadata as Obj) ?? {}), ...(namespace ? { namespace } : {}) };
        out.push({
          object: finish(copy, meta),
          synchronize,
          source: { apiVersion: av, kind: k, namespace: String(list.namespace ?? ''), name: String(smeta.name) },
        });
      }
    }
    return out;
  }
  // Neither data nor clone: an object with just its name, as Kyverno creates it.
  return [{ object: finish({ apiVersion, kind }, { name, ...(namespace ? { namespace } : {}) }), synchronize }];
}

/**
 * What one generate rule creates for a trigger: data, clone or cloneList (and foreach of those),
 * with Kyverno's labels. The background controller writes them; synchronize keeps them in step.
 */
export function generateForRule(
  policy: Obj,
  rule: Obj,
  req: EngineRequest,
  options: { loaders?: ContextLoaders; sources?: CloneSource } = {},
): { result: RuleResult; resources: GeneratedResource[] } {
  const policyName = String(((policy.metadata ?? {}) as Obj).name ?? '');
  const name = String(rule.name);
  const result = (status: RuleResult['status'], message: string): RuleResult => ({
    policy: policyName,
    rule: name,
    status,
    message,
    action: 'Audit',
  });
  const generate = (rule.generate ?? {}) as Obj;
  const context = requestContext(req);
  try {
    loadContext(rule.context, context, options.loaders);
    if (rule.preconditions !== undefined) {
      const block = normalizeConditions(rule.preconditions);
      const check = (c: Condition) =>
        evaluateCondition({ ...c, key: substitute(c.key, context), value: substitute(c.value, context) });
      const ok = ((block.any ?? []).length === 0 || (block.any ?? []).some(check)) && (block.all ?? []).every(check);
      if (!ok) return { result: result('skip', 'preconditions not met'), resources: [] };
    }
    let resources: GeneratedResource[] = [];
    if (Array.isArray(generate.foreach)) {
      for (const entry of generate.foreach as Obj[]) {
        const elements = evaluateExpression(String(substitute(entry.list, context)), context);
        for (const [index, element] of (Array.isArray(elements) ? elements : []).entries()) {
          const scope = { ...context, element, elementIndex: index };
          resources.push(...one({ ...generate, ...entry }, scope, policy, name, req.object, options.sources));
        }
      }
    } else resources = one(generate, context, policy, name, req.object, options.sources);
    return { result: result('pass', 'rule passed'), resources };
  } catch (error) {
    return {
      result: result(
        'error',
        `failed to generate resources: ${error instanceof Error ? error.message : String(error)}`,
      ),
      resources: [],
    };
  }
}
