import { parse } from 'yaml';
import { applyStrategicMergePatch } from '../../patch/strategic.ts';
import { evaluateCondition, normalizeConditions, type Condition, type ConditionBlock } from './conditions.ts';
import { loadContext, type ContextLoaders } from './context.ts';
import { applyJsonPatch } from './json-patch.ts';
import { matchValue, parseAnchor } from './pattern.ts';
import { evaluateExpression, substitute } from './variables.ts';

type Obj = Record<string, unknown>;

export interface MutateOutcome {
  status: 'pass' | 'skip' | 'error';
  message: string;
  patched: Obj;
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A global anchor in a patch did not match: the whole patch is skipped. */
class GlobalSkip extends Error {}

/**
 * Kyverno's strategic-merge preprocessing: resolves conditional "(k)", global "<(k)" and
 * add-if-absent "+(k)" anchors against the resource, returning a plain patch (undefined: skip).
 */
function resolveAnchors(patch: unknown, resource: unknown): unknown {
  if (Array.isArray(patch)) {
    const out: unknown[] = [];
    const elements = Array.isArray(resource) ? resource : [];
    for (const item of patch) {
      if (isObj(item) && Object.keys(item).some((k) => parseAnchor(k).kind !== 'plain')) {
        // A global anchor in a list element holds when any element matches it.
        let globalMisses = 0;
        const hasGlobal = Object.keys(item).some((k) => parseAnchor(k).kind === 'global');
        for (const element of elements) {
          let resolved: unknown;
          try {
            resolved = resolveAnchors(item, element);
          } catch (error) {
            if (!(error instanceof GlobalSkip)) throw error;
            globalMisses++;
            continue;
          }
          if (resolved === undefined) continue;
          // Keep the element's identity so the strategic merge lands on it.
          const identity = isObj(element) && element.name !== undefined ? { name: element.name } : {};
          out.push({ ...identity, ...(resolved as Obj) });
        }
        if (hasGlobal && globalMisses === elements.length) throw new GlobalSkip();
      } else if (isObj(item)) {
        // A plain element merges into the resource element with the same name: resolve its nested anchors there.
        const peer = elements.find((e) => isObj(e) && item.name !== undefined && e.name === item.name);
        const resolved = resolveAnchors(item, peer);
        if (resolved !== undefined) out.push(resolved);
      } else out.push(item);
    }
    return out;
  }
  if (!isObj(patch)) return patch;
  const target = isObj(resource) ? resource : {};
  const out: Obj = {};
  // Conditions first: a failing conditional anchor drops this whole map.
  for (const [key, value] of Object.entries(patch)) {
    const anchor = parseAnchor(key);
    if (anchor.kind !== 'condition' && anchor.kind !== 'global') continue;
    const actual = target[anchor.key];
    const holds = isObj(value)
      ? isObj(actual) && resolveAnchors(value, actual) !== undefined
      : matchValue(actual, value);
    if (!holds) {
      if (anchor.kind === 'global') throw new GlobalSkip();
      return undefined;
    }
    if (isObj(value)) {
      const nested = resolveAnchors(stripConditions(value), actual);
      if (nested !== undefined && Object.keys(nested as Obj).length) out[anchor.key] = nested;
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    const anchor = parseAnchor(key);
    if (anchor.kind === 'condition' || anchor.kind === 'global') continue;
    if (anchor.kind === 'add') {
      if (target[anchor.key] === undefined) out[anchor.key] = stripAnchors(value);
      continue;
    }
    const resolved = resolveAnchors(value, target[anchor.key]);
    if (resolved === undefined) continue;
    out[anchor.key] = resolved;
  }
  return out;
}

function stripConditions(value: Obj): Obj {
  return Object.fromEntries(
    Object.entries(value).filter(([k]) => !['condition', 'global'].includes(parseAnchor(k).kind)),
  );
}

function stripAnchors(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripAnchors);
  if (!isObj(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [parseAnchor(k).key, stripAnchors(v)]));
}

function conditionsHold(block: ConditionBlock, context: Obj): boolean {
  const check = (c: Condition) =>
    evaluateCondition({ ...c, key: substitute(c.key, context), value: substitute(c.value, context) });
  const any = block.any ?? [];
  return (any.length === 0 || any.some(check)) && (block.all ?? []).every(check);
}

function patchOnce(spec: Obj, resource: Obj, context: Obj): Obj {
  let out = resource;
  if (spec.patchStrategicMerge !== undefined) {
    const patch = substitute(spec.patchStrategicMerge, context);
    let resolved: unknown;
    try {
      resolved = resolveAnchors(patch, out);
    } catch (error) {
      if (error instanceof GlobalSkip) return out;
      throw error;
    }
    if (resolved !== undefined) out = applyStrategicMergePatch(out, resolved) as Obj;
  }
  if (spec.patchesJson6902 !== undefined) {
    const text = String(substitute(spec.patchesJson6902, context));
    const operations = parse(text) as Obj[];
    out = applyJsonPatch(out, operations ?? []) as Obj;
  }
  return out;
}

/** Applies foreach entries cumulatively; returns the resource and how many elements patched it. */
function applyForeach(
  entries: Obj[],
  resource: Obj,
  context: Obj,
  loaders: ContextLoaders | undefined,
): { resource: Obj; applied: number } {
  let current = resource;
  let applied = 0;
  for (const entry of entries) {
    const request = (context.request ?? {}) as Obj;
    const list = evaluateExpression(
      String(substitute(entry.list, { ...context, request: { ...request, object: current } })),
      {
        ...context,
        request: { ...request, object: current },
      },
    );
    const elements = Array.isArray(list) ? list : list === null ? [] : [list];
    const ordered =
      entry.order === 'Descending'
        ? elements.map((e, i) => [e, i] as const).reverse()
        : elements.map((e, i) => [e, i] as const);
    for (const [element, index] of ordered) {
      const scope: Obj = { ...context, request: { ...request, object: current }, element, elementIndex: index };
      loadContext(entry.context, scope, loaders);
      if (entry.preconditions !== undefined && !conditionsHold(normalizeConditions(entry.preconditions), scope))
        continue;
      const next = Array.isArray(entry.foreach)
        ? applyForeach(entry.foreach as Obj[], current, scope, loaders).resource
        : patchOnce(entry, current, scope);
      if (JSON.stringify(next) !== JSON.stringify(current)) applied++;
      current = next;
    }
  }
  return { resource: current, applied };
}

function mutatedMessage(resource: Obj): string {
  const meta = (resource.metadata ?? {}) as Obj;
  return meta.namespace
    ? `mutated ${String(resource.kind)}/${String(meta.name)} in namespace ${String(meta.namespace)}`
    : `mutated ${String(resource.kind)}/${String(meta.name)}`;
}

/** Runs one rule's mutate on a resource: patchStrategicMerge, patchesJson6902 or foreach. */
export function mutateResource(
  mutate: Obj,
  resource: Obj,
  context: Obj,
  loaders: ContextLoaders | undefined,
): MutateOutcome {
  try {
    if (Array.isArray(mutate.foreach)) {
      const { resource: patched, applied } = applyForeach(mutate.foreach as Obj[], resource, context, loaders);
      if (applied === 0) return { status: 'skip', message: `${applied} elements processed`, patched: resource };
      return { status: 'pass', message: mutatedMessage(patched), patched };
    }
    const patched = patchOnce(mutate, resource, context);
    if (JSON.stringify(patched) === JSON.stringify(resource))
      return { status: 'skip', message: 'no patches applied', patched: resource };
    return { status: 'pass', message: mutatedMessage(patched), patched };
  } catch (error) {
    return {
      status: 'error',
      message: `failed to apply patch: ${error instanceof Error ? error.message : String(error)}`,
      patched: resource,
    };
  }
}
