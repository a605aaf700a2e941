type Obj = Record<string, unknown>;

interface Target {
  group: string;
  version: string;
  resource: string;
  kind: string;
}

const configs: Record<string, { target: Target; replacements: 'defaults' | 'cronjobs' }> = {
  daemonsets: {
    target: { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet' },
    replacements: 'defaults',
  },
  deployments: {
    target: { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment' },
    replacements: 'defaults',
  },
  replicasets: {
    target: { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet' },
    replacements: 'defaults',
  },
  statefulsets: {
    target: { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet' },
    replacements: 'defaults',
  },
  jobs: { target: { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job' }, replacements: 'defaults' },
  cronjobs: {
    target: { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob' },
    replacements: 'cronjobs',
  },
};

const replacements = {
  defaults: [
    ['spec', 'spec.template.spec'],
    ['metadata', 'spec.template.metadata'],
  ],
  cronjobs: [
    ['spec', 'spec.jobTemplate.spec.template.spec'],
    ['metadata', 'spec.jobTemplate.spec.template.metadata'],
  ],
} as const;

/** Kyverno's CanAutoGen: exactly one rule on core v1 pods, no names, exclusions or object selector. */
export function canAutogen(match: Obj | undefined): boolean {
  if (!match) return false;
  const selector = match.objectSelector as Obj | undefined;
  if (
    selector &&
    (Object.keys((selector.matchLabels as Obj) ?? {}).length || ((selector.matchExpressions as unknown[]) ?? []).length)
  )
    return false;
  if (((match.excludeResourceRules as unknown[]) ?? []).length) return false;
  const rules = (match.resourceRules as Obj[] | undefined) ?? [];
  if (rules.length !== 1) return false;
  const rule = rules[0]!;
  if (((rule.resourceNames as unknown[]) ?? []).length) return false;
  const one = (key: string, value: string) => {
    const list = (rule[key] as string[] | undefined) ?? [];
    return list.length === 1 && list[0] === value;
  };
  return one('apiGroups', '') && one('apiVersions', 'v1') && one('resources', 'pods');
}

/** object.spec → object.spec.template.spec (and oldObject), leaving object.metadata.namespace alone. */
function rewrite(text: string, from: string, to: string): string {
  let out = text;
  for (const root of ['object.', 'oldObject.']) {
    const needle = `${root}${from}`;
    let result = '';
    let i = 0;
    for (;;) {
      const at = out.indexOf(needle, i);
      if (at < 0) break;
      const rest = out.slice(at + needle.length);
      const preceding = at > 0 ? out[at - 1]! : '';
      const protectedSuffix = rest.startsWith('.namespace');
      const partOfName = /[A-Za-z0-9_]/.test(preceding);
      result += out.slice(i, at) + (protectedSuffix || partOfName ? needle : `${root}${to}`);
      i = at + needle.length;
    }
    out = result + out.slice(i);
  }
  return out;
}

export interface AutogenConfig {
  targets: Target[];
  spec: Obj;
}

/** status.autogen.configs of a ValidatingPolicy: one spec per replacement set (defaults, cronjobs). */
export function autogenConfigs(spec: Obj): Record<string, AutogenConfig> {
  const match = spec.matchConstraints as Obj | undefined;
  if (!canAutogen(match)) return {};
  const wanted = ((spec.autogen as Obj | undefined)?.podControllers as Obj | undefined)?.controllers as
    string[] | undefined;
  const chosen = wanted ?? Object.keys(configs);
  const grouped: Record<string, Target[]> = {};
  for (const name of chosen) {
    const config = configs[name];
    if (config) (grouped[config.replacements] ??= []).push(config.target);
  }
  const operations = ((match!.resourceRules as Obj[])[0]!.operations as string[]) ?? [];
  const out: Record<string, AutogenConfig> = {};
  for (const key of Object.keys(grouped).sort() as Array<keyof typeof replacements>) {
    const targets = grouped[key]!.sort((a, b) =>
      `${a.group}/${a.version}/${a.resource}`.localeCompare(`${b.group}/${b.version}/${b.resource}`),
    );
    const groupVersions = new Map<string, Set<string>>();
    for (const t of targets) {
      const gv = `${t.group}/${t.version}`;
      groupVersions.set(gv, (groupVersions.get(gv) ?? new Set()).add(t.resource));
    }
    const copy = structuredClone(spec);
    delete copy.autogen;
    copy.matchConstraints = {
      resourceRules: [...groupVersions.keys()].sort().map((gv) => {
        const [group, version] = gv.split('/');
        return {
          apiGroups: [group],
          apiVersions: [version],
          resources: [...groupVersions.get(gv)!].sort(),
          operations,
        };
      }),
      ...(match!.namespaceSelector ? { namespaceSelector: structuredClone(match!.namespaceSelector) } : {}),
    };
    let json = JSON.stringify(copy);
    for (const [from, to] of replacements[key]) json = rewrite(json, from, to);
    out[key] = { targets, spec: JSON.parse(json) as Obj };
  }
  return out;
}
