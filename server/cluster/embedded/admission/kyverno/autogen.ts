import { filtersOf } from './match.ts';

type Obj = Record<string, unknown>;

export const podControllers = ['DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController'];
const autogenAnnotation = 'pod-policies.kyverno.io/autogen-controllers';

function replaceKinds(block: Obj | undefined, kinds: string[]): Obj | undefined {
  if (!block) return block;
  const swap = (filter: Obj): Obj => {
    const resources = (filter.resources ?? {}) as Obj;
    const current = (resources.kinds as string[] | undefined) ?? [];
    if (!current.includes('Pod')) return filter;
    return { ...filter, resources: { ...resources, kinds } };
  };
  if (Array.isArray(block.any)) return { ...block, any: (block.any as Obj[]).map(swap) };
  if (Array.isArray(block.all)) return { ...block, all: (block.all as Obj[]).map(swap) };
  return swap(block);
}

function rewriteStrings(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.split(from).join(to);
  if (Array.isArray(value)) return value.map((v) => rewriteStrings(v, from, to));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteStrings(v, from, to)]));
  return value;
}

function nestPattern(pattern: unknown, path: string[]): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), pattern);
}

/** Mutations of a Pod moved onto a pod template: nested patches and JSON-patch paths. */
function convertMutate(mutate: Obj, templatePath: string[]): Obj {
  const out = { ...mutate };
  if (out.patchStrategicMerge !== undefined)
    out.patchStrategicMerge = nestPattern(out.patchStrategicMerge, templatePath);
  if (typeof out.patchesJson6902 === 'string')
    out.patchesJson6902 = out.patchesJson6902.replace(
      /(path:\s*["']?)\/(spec|metadata)(\/|["'\s]|$)/gm,
      `$1/${templatePath.join('/')}/$2$3`,
    );
  if (Array.isArray(out.foreach)) out.foreach = (out.foreach as Obj[]).map((f) => convertMutate(f, templatePath));
  return out;
}

/** Whether Kyverno would generate Pod-controller rules for this rule. */
export function canAutogen(rule: Obj): boolean {
  const filters = filtersOf(rule.match as Obj | undefined);
  if (filters.length === 0) return false;
  const kinds = new Set(
    filters.flatMap((f) => ((f.resources as Obj | undefined)?.kinds as string[] | undefined) ?? []),
  );
  if (kinds.size !== 1 || !kinds.has('Pod')) return false;
  const all = [...filters, ...filtersOf(rule.exclude as Obj | undefined)];
  return !all.some((f) => {
    const r = (f.resources ?? {}) as Obj;
    return r.name !== undefined || r.names !== undefined || r.selector !== undefined || r.annotations !== undefined;
  });
}

function convert(rule: Obj, name: string, kinds: string[], templatePath: string[]): Obj {
  const objectPath = `request.object.${templatePath.join('.')}`;
  let out: Obj = { ...structuredClone(rule), name: name.slice(0, 63) };
  out.match = replaceKinds(out.match as Obj | undefined, kinds);
  if (out.exclude) out.exclude = replaceKinds(out.exclude as Obj, kinds);
  const validate = (out.validate ?? {}) as Obj;
  if (validate.pattern !== undefined) validate.pattern = nestPattern(validate.pattern, templatePath);
  if (Array.isArray(validate.anyPattern))
    validate.anyPattern = validate.anyPattern.map((p) => nestPattern(p, templatePath));
  if (rule.validate) out.validate = validate;
  else delete out.validate;
  if (out.mutate) out.mutate = convertMutate(out.mutate as Obj, templatePath);
  for (const [from, to] of [
    ['request.object.spec', `${objectPath}.spec`],
    ['request.object.metadata', `${objectPath}.metadata`],
  ] as const) {
    if (out.validate) out = { ...out, validate: rewriteStrings(out.validate, from, to) as Obj };
    if (out.mutate) out = { ...out, mutate: rewriteStrings(out.mutate, from, to) as Obj };
    if (out.preconditions) out.preconditions = rewriteStrings(out.preconditions, from, to);
    if (out.context) out.context = rewriteStrings(out.context, from, to);
  }
  return out;
}

/** The policy's rules plus autogen-<rule> and autogen-cronjob-<rule> for Pod rules. */
export function withAutogenRules(policy: Obj): Obj[] {
  const spec = (policy.spec ?? {}) as Obj;
  const rules = ((spec.rules as Obj[] | undefined) ?? []).filter(Boolean);
  const annotation = ((policy.metadata as Obj | undefined)?.annotations as Record<string, string> | undefined)?.[
    autogenAnnotation
  ];
  let controllers = podControllers;
  if (annotation !== undefined) {
    controllers =
      annotation === 'none'
        ? []
        : annotation
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
  }
  const out: Obj[] = [];
  for (const rule of rules) {
    out.push(rule);
    const mutatesPods = rule.mutate !== undefined && (rule.mutate as Obj).targets === undefined;
    if (!canAutogen(rule) || (!rule.validate && !mutatesPods)) continue;
    const plain = controllers.filter((c) => c !== 'CronJob');
    if (plain.length) out.push(convert(rule, `autogen-${String(rule.name)}`, plain, ['spec', 'template']));
    if (annotation === undefined || controllers.includes('CronJob')) {
      out.push(
        convert(rule, `autogen-cronjob-${String(rule.name)}`, ['CronJob'], ['spec', 'jobTemplate', 'spec', 'template']),
      );
    }
  }
  return out;
}
