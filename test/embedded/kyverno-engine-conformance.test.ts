import { describe, expect, it } from 'vitest';
import { parseApiPath, type ContextLoaders } from '../../server/cluster/embedded/admission/kyverno/context.ts';
import {
  evaluatePolicy,
  mutatePolicy,
  mutateTargets,
  type EngineRequest,
} from '../../server/cluster/embedded/admission/kyverno/engine.ts';
import { generateForRule, type CloneSource } from '../../server/cluster/embedded/admission/kyverno/generate.ts';
import { withAutogenRules } from '../../server/cluster/embedded/admission/kyverno/autogen.ts';
import {
  cliPresent,
  cliRoot,
  expectations,
  findResource,
  loadDocs,
  loadTests,
  printTally,
  resourceDefFor,
  testFiles,
  type CliTest,
  type FolderTally,
} from '../helpers/kyverno-cli.ts';
import { join } from 'node:path';

type Obj = Record<string, unknown>;

if (!cliPresent && process.env.CI === 'true') throw new Error(`Kyverno CLI conformance data missing at ${cliRoot}`);

function nsOf(o: Obj): string {
  return String(
    ((o.metadata as Obj | undefined)?.namespace as string | undefined) ??
      (resourceDefFor(o).namespaced ? 'default' : ''),
  );
}

function requestFor(resource: Obj, operation: string, test: CliTest): EngineRequest {
  const def = resourceDefFor(resource);
  const meta = (resource.metadata ?? {}) as Obj;
  const namespace = def.namespaced ? nsOf(resource) : '';
  const object = structuredClone(resource);
  if (namespace) (object.metadata as Obj).namespace = namespace;
  const selector = ((test.values.namespaceSelector as Obj[] | undefined) ?? []).find((s) => s.name === namespace);
  return {
    group: def.group,
    version: def.version,
    kind: def.kind,
    subresource: '',
    name: String(meta.name ?? meta.generateName ?? ''),
    namespace,
    labels: (meta.labels as Record<string, string>) ?? {},
    annotations: (meta.annotations as Record<string, string>) ?? {},
    namespaceLabels: {
      'kubernetes.io/metadata.name': namespace,
      ...((selector?.labels as Record<string, string>) ?? {}),
    },
    operation,
    userInfo: { username: test.userInfo?.username ?? '', groups: test.userInfo?.groups ?? [] },
    roles: [],
    clusterRoles: [],
    object: operation === 'DELETE' ? {} : object,
    oldObject: operation === 'DELETE' ? object : null,
  };
}

/** Context loaders and clone sources backed by the test's cluster data. */
function lookups(objects: Obj[]): { loaders: ContextLoaders; sources: CloneSource } {
  const find = (pred: (o: Obj) => boolean) => objects.filter(pred);
  return {
    loaders: {
      configMap: (namespace, name) =>
        find((o) => o.kind === 'ConfigMap' && (o.metadata as Obj).name === name && nsOf(o) === namespace)[0],
      apiGet: (urlPath) => {
        const p = parseApiPath(urlPath);
        if (!p) return undefined;
        const apiVersion = p.group ? `${p.group}/${p.version}` : p.version;
        const items = find(
          (o) =>
            o.apiVersion === apiVersion &&
            resourceDefFor(o).plural === p.plural &&
            (!p.namespace || nsOf(o) === p.namespace),
        );
        if (p.name) return items.find((o) => (o.metadata as Obj).name === p.name);
        return { apiVersion, kind: 'List', metadata: {}, items };
      },
    },
    sources: {
      get: (apiVersion, kind, namespace, name) =>
        find(
          (o) =>
            o.apiVersion === apiVersion &&
            o.kind === kind &&
            (o.metadata as Obj).name === name &&
            (!namespace || nsOf(o) === namespace),
        )[0],
      list: (apiVersion, kind, namespace) =>
        find((o) => o.apiVersion === apiVersion && o.kind === kind && (!namespace || nsOf(o) === namespace)),
    },
  };
}

/** Values a CLI values file sets for one policy, rule and resource. */
function valuesFor(test: CliTest, policy: string, resource: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...((test.values.globalValues as Obj | undefined) ?? {}) };
  for (const p of (test.values.policies as Obj[] | undefined) ?? []) {
    if (p.name !== policy) continue;
    for (const r of (p.resources as Obj[] | undefined) ?? [])
      if (r.name === resource) Object.assign(out, r.values ?? {});
    for (const r of (p.rules as Obj[] | undefined) ?? []) Object.assign(out, r.values ?? {});
  }
  return out;
}

/** Whether every field of `expected` is in `actual` (labels Kyverno adds are allowed extra). */
function contains(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object')
    return actual === expected || String(actual) === String(expected);
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => contains(actual[i], e))
    );
  if (!actual || typeof actual !== 'object') return false;
  return Object.entries(expected).every(([k, v]) => contains((actual as Obj)[k], v));
}

function ruleMatches(actual: string, expected: string): boolean {
  return actual === expected || actual === `autogen-${expected}` || actual === `autogen-cronjob-${expected}`;
}

function runClusterPolicyTest(test: CliTest): string[] {
  const problems: string[] = [];
  const targets = ((test.doc.targetResources as string[] | undefined) ?? []).flatMap((p) =>
    loadDocs(join(test.dir, p)),
  );
  const cluster = [...test.cluster, ...test.resources, ...targets];
  const { loaders, sources } = lookups(cluster);
  const exceptions = test.exceptions.filter((e) => String(e.apiVersion).startsWith('kyverno.io'));
  for (const { row, ref } of expectations(test)) {
    const policyRef = String(row.policy);
    const [pns, pname] = policyRef.includes('/') ? policyRef.split('/') : [undefined, policyRef];
    const policy = test.policies.find(
      (p) => (p.metadata as Obj)?.name === pname && (!pns || (p.metadata as Obj).namespace === pns),
    );
    if (!policy) {
      problems.push(`policy ${policyRef} not found`);
      continue;
    }
    if (policy.kind === 'Policy') (policy.metadata as Obj).namespace ??= 'default';
    const rule = String(row.rule ?? '');
    const ruleDef = withAutogenRules(policy).find((r) => ruleMatches(String(r.name), rule));
    // Mutate existing: the trigger is the test resource, the patched object a target.
    if (ruleDef && (ruleDef.mutate as Obj | undefined)?.targets) {
      const trigger = test.resources[0]!;
      const req = requestFor(trigger, String(row.operation ?? 'CREATE'), test);
      const specs = ((ruleDef.mutate as Obj).targets as Obj[]) ?? [];
      const matching = targets.filter((t) =>
        specs.some(
          (s) => s.kind === t.kind && (!s.name || String(s.name).includes('*') || s.name === (t.metadata as Obj).name),
        ),
      );
      const { result, patched } = mutateTargets(policy, ruleDef, req, matching, { loaders });
      if (result.status !== row.result)
        problems.push(`${policyRef}/${rule}: expected ${String(row.result)}, got ${result.status} (${result.message})`);
      const expected = row.patchedResources ? loadDocs(join(test.dir, String(row.patchedResources))) : [];
      for (const e of expected) {
        const same = (p: Obj) =>
          (p.metadata as Obj).name === (e.metadata as Obj).name && p.kind === e.kind && nsOf(p) === nsOf(e);
        const got = patched.find(same) ?? [...test.resources, ...targets].find(same);
        if (!got || !contains(got, e))
          problems.push(`${policyRef}/${rule}: patched ${String((e.metadata as Obj).name)} differs`);
      }
      continue;
    }
    const resource = findResource(test, row, ref);
    if (!resource) {
      problems.push(`resource ${ref} not found`);
      continue;
    }
    const req = requestFor(resource, String(row.operation ?? 'CREATE'), test);
    const values = valuesFor(test, pname!, String((resource.metadata as Obj).name));
    const options = { loaders, exceptions, values };
    if (ruleDef?.generate) {
      const cloneSources = row.cloneSourceResource ? loadDocs(join(test.dir, String(row.cloneSourceResource))) : [];
      const withSources = cloneSources.length ? lookups([...cluster, ...cloneSources]).sources : sources;
      const { result, resources } = generateForRule(policy, ruleDef, req, { loaders, sources: withSources });
      if (result.status !== row.result)
        problems.push(
          `${policyRef}/${rule} on ${ref}: expected ${String(row.result)}, got ${result.status} (${result.message})`,
        );
      for (const e of row.generatedResource ? loadDocs(join(test.dir, String(row.generatedResource))) : []) {
        const got = resources.find(
          (r) => r.object.kind === e.kind && (r.object.metadata as Obj).name === (e.metadata as Obj).name,
        );
        if (!got || !contains(got.object, e))
          problems.push(
            `${policyRef}/${rule} on ${ref}: generated ${String(e.kind)}/${String((e.metadata as Obj).name)} differs`,
          );
      }
      continue;
    }
    if (ruleDef?.mutate) {
      const { results, patched } = mutatePolicy(policy, req, options);
      const mine = results.filter((r) => ruleMatches(r.rule, rule));
      const actual = mine[0]?.status ?? 'skip';
      if (actual !== row.result)
        problems.push(
          `${policyRef}/${rule} on ${ref}: expected ${String(row.result)}, got ${actual}${mine[0] ? ` (${mine[0].message})` : ''}`,
        );
      if (row.patchedResources && actual === 'pass') {
        // The CLI applies every mutate policy of the test, in order, before comparing.
        let all = req.object;
        for (const p of test.policies) {
          if (p.kind === 'Policy') (p.metadata as Obj).namespace ??= 'default';
          all = mutatePolicy(p, { ...req, object: all }, options).patched;
        }
        const expected = loadDocs(join(test.dir, String(row.patchedResources))).find(
          (e) => (e.metadata as Obj).name === (resource.metadata as Obj).name && e.kind === resource.kind,
        );
        if (expected && !contains(all, expected) && !contains(patched, expected))
          problems.push(`${policyRef}/${rule} on ${ref}: patched resource differs`);
      }
      continue;
    }
    const results = evaluatePolicy(policy, req, undefined, options);
    const mine = results.filter((r) => ruleMatches(r.rule, rule));
    let actual = mine[0]?.status ?? 'skip';
    if (
      actual === 'fail' &&
      ((policy.metadata as Obj).annotations as Obj | undefined)?.['policies.kyverno.io/scored'] === 'false'
    )
      actual = 'warn';
    if (actual !== row.result)
      problems.push(
        `${policyRef}/${rule} on ${ref}: expected ${String(row.result)}, got ${actual}${mine[0] ? ` (${mine[0].message})` : ''}`,
      );
  }
  return problems;
}

function runFolder(folder: string): FolderTally {
  const tally: FolderTally = { folder, passed: 0, total: 0, failures: [] };
  for (const file of testFiles(folder)) {
    for (const test of loadTests(file)) {
      tally.total++;
      let problems: string[];
      try {
        problems = runClusterPolicyTest(test);
      } catch (error) {
        problems = [`crashed: ${error instanceof Error ? error.stack : String(error)}`];
      }
      if (problems.length === 0) tally.passed++;
      else tally.failures.push(`${test.name}: ${problems.slice(0, 3).join(' | ')}`);
    }
  }
  return tally;
}

describe.skipIf(!cliPresent)('Kyverno CLI conformance: ClusterPolicy mutate, generate, exceptions, context', () => {
  it.each([
    ['test-mutate', 15],
    ['test-generate', 10],
    ['test-exceptions', 4],
    ['test-context-configmap', 1],
    ['test-context-apicall', 1],
  ] as const)('%s passes at least 95%% of its tests', (folder, files) => {
    const tally = runFolder(folder);
    printTally('Kyverno CLI tests (ClusterPolicy engine), passed per folder:', [tally]);
    expect(testFiles(folder).length).toBe(files);
    expect(tally.passed / tally.total, tally.failures.join('\n')).toBeGreaterThanOrEqual(0.95);
  });
});
