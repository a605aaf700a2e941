import { describe, expect, it } from 'vitest';
import {
  evaluatePayload,
  evaluateValidatingPolicy,
} from '../../server/cluster/embedded/admission/kyverno/cel/validating-policy.ts';
import type { ResourceLookup } from '../../server/cluster/embedded/admission/kyverno/cel/libraries.ts';
import { baseActivation } from '../../server/cluster/embedded/admission/validatingadmissionpolicy/activation.ts';
import { ValidatingAdmissionPolicyPlugin } from '../../server/cluster/embedded/admission/validatingadmissionpolicy/plugin.ts';
import { alwaysAllow } from '../../server/cluster/embedded/authorization/authorizer.ts';
import { ResourceCatalog } from '../../server/cluster/embedded/registry/catalog.ts';
import { Store } from '../../server/cluster/embedded/storage/store.ts';
import type { KubeObject } from '../../server/cluster/embedded/storage/types.ts';
import {
  attributesFor,
  cliPresent,
  cliRoot,
  expectations,
  findResource,
  loadTests,
  printTally,
  resourceDefFor,
  testFiles,
  type CliTest,
  type FolderTally,
} from '../helpers/kyverno-cli.ts';

type Obj = Record<string, unknown>;

if (!cliPresent) {
  if (process.env.CI === 'true') throw new Error(`Kyverno CLI conformance data missing at ${cliRoot}`);
  console.warn(`Kyverno CLI conformance data not found at ${cliRoot}: suite skipped`);
}

function namespacesOf(test: CliTest): KubeObject[] {
  const out = new Map<string, KubeObject>();
  const add = (name: string, labels: Record<string, string> = {}, extra: Obj = {}) =>
    out.set(name, {
      apiVersion: 'v1',
      kind: 'Namespace',
      ...extra,
      metadata: {
        ...((extra.metadata as Obj) ?? {}),
        name,
        labels: { 'kubernetes.io/metadata.name': name, ...labels },
      },
    } as KubeObject);
  for (const r of test.resources) {
    const ns = (r.metadata as Obj | undefined)?.namespace;
    if (typeof ns === 'string') add(ns);
  }
  add('default');
  for (const s of (test.values.namespaceSelector as Obj[] | undefined) ?? [])
    add(String(s.name), (s.labels as Record<string, string>) ?? {});
  for (const n of (test.values.namespaces as Obj[] | undefined) ?? []) {
    const meta = (n.metadata ?? {}) as Obj;
    add(String(meta.name), (meta.labels as Record<string, string>) ?? {}, n);
  }
  return [...out.values()];
}

function lookupFrom(objects: Obj[]): ResourceLookup {
  const matches = (o: Obj, apiVersion: string, resource: string, namespace: string) =>
    String(o.apiVersion) === apiVersion &&
    resourceDefFor(o).plural === resource &&
    (!namespace || String(((o.metadata as Obj).namespace as string | undefined) ?? 'default') === namespace);
  return {
    get: (apiVersion, resource, namespace, name) =>
      objects.find((o) => matches(o, apiVersion, resource, namespace) && (o.metadata as Obj).name === name),
    list: (apiVersion, resource, namespace) => objects.filter((o) => matches(o, apiVersion, resource, namespace)),
  };
}

/** One CLI test through the ValidatingPolicy engine; returns the problems found. */
function runValidatingPolicyTest(test: CliTest): string[] {
  const problems: string[] = [];
  const namespaces = namespacesOf(test);
  const lookup = lookupFrom([...test.cluster, ...namespaces]);
  const policies = test.policies.filter((p) => /ValidatingPolicy$/.test(String(p.kind)));
  const exceptions = test.exceptions.filter((e) =>
    String(e.apiVersion).startsWith('policies.kyverno.io'),
  ) as unknown as KubeObject[];
  for (const { row, ref } of expectations(test)) {
    const policy = policies.find((p) => (p.metadata as Obj).name === String(row.policy).split('/').pop());
    if (!policy) {
      problems.push(`policy ${String(row.policy)} not found`);
      continue;
    }
    if (test.jsonPayloads.length) {
      const payloads = test.jsonPayloads.filter((p) => !ref || p.file === ref);
      const statuses = payloads.map((p) =>
        evaluatePayload(policy as unknown as KubeObject, p.payload, lookup, exceptions),
      );
      const bad = statuses.find((r) => r.status !== row.result);
      if (!payloads.length) problems.push(`payload ${ref} not found`);
      else if (bad)
        problems.push(
          `${String(row.policy)} on ${ref || 'payload'}: expected ${String(row.result)}, got ${bad.status} (${bad.message})`,
        );
      continue;
    }
    const resource = findResource(test, row, ref);
    if (!resource) {
      problems.push(`resource ${ref} not found`);
      continue;
    }
    const attrs = attributesFor(resource, String(row.operation ?? 'CREATE'), test.userInfo);
    const namespace = namespaces.find((n) => n.metadata.name === attrs.namespace);
    const base = baseActivation(attrs, namespace, undefined) as unknown as Record<string, unknown>;
    const result = evaluateValidatingPolicy(policy as unknown as KubeObject, {
      attrs,
      namespace,
      base,
      resources: lookup,
      exceptions,
    });
    const actual = result?.status ?? 'skip';
    if (actual !== row.result)
      problems.push(
        `${String(row.policy)} on ${String(row.kind)}/${ref}: expected ${String(row.result)}, got ${actual}${result ? ` (${result.message})` : ''}`,
      );
  }
  return problems;
}

/** One CLI test through the ValidatingAdmissionPolicy plugin, policies and bindings in a store. */
function runAdmissionPolicyTest(test: CliTest): string[] {
  const problems: string[] = [];
  const store = new Store();
  for (const n of namespacesOf(test)) store.put('namespaces', n);
  for (const p of test.policies) {
    const kind = String(p.kind);
    const meta = p.metadata as Obj;
    // Kyverno's CLI does not validate policies: a rule without operations matches every operation.
    for (const rule of (((p.spec as Obj | undefined)?.matchConstraints as Obj | undefined)?.resourceRules as
      Obj[] | undefined) ?? [])
      rule.operations ??= ['*'];
    if (kind === 'ValidatingAdmissionPolicy')
      store.put('validatingadmissionpolicies.admissionregistration.k8s.io', p as unknown as KubeObject);
    if (kind === 'ValidatingAdmissionPolicyBinding') {
      const spec = p.spec as Obj;
      spec.validationActions ??= ['Deny'];
      store.put('validatingadmissionpolicybindings.admissionregistration.k8s.io', {
        ...p,
        metadata: meta,
      } as unknown as KubeObject);
    }
  }
  for (const o of test.cluster) {
    const def = resourceDefFor(o);
    const meta = o.metadata as Obj;
    if (def.namespaced) meta.namespace ??= 'default';
    store.put(def.group ? `${def.plural}.${def.group}` : def.plural, o as unknown as KubeObject);
  }
  const plugin = new ValidatingAdmissionPolicyPlugin(store, new ResourceCatalog(), () => alwaysAllow);
  for (const { row, ref } of expectations(test)) {
    const resource = findResource(test, row, ref);
    if (!resource) {
      problems.push(`resource ${ref} not found`);
      continue;
    }
    const attrs = attributesFor(resource, String(row.operation ?? 'CREATE'), test.userInfo);
    const mine = plugin.evaluate(attrs, { unbound: true }).filter((e) => e.policy === row.policy);
    const actual = mine.some((e) => e.status === 'fail')
      ? 'fail'
      : mine.some((e) => e.status === 'pass')
        ? 'pass'
        : 'skip';
    if (actual !== row.result) {
      const detail = mine
        .flatMap((e) => e.outcomes.map((o) => o.message).concat(e.configurationError ?? []))
        .join('; ');
      problems.push(
        `${String(row.policy)} on ${String(row.kind)}/${ref}: expected ${String(row.result)}, got ${actual}${detail ? ` (${detail})` : ''}`,
      );
    }
  }
  return problems;
}

/** Why a test cannot pass on the embedded cluster, printed beside its failure. */
const reasons: Record<string, string> = {
  'test-validating-policy/allowed-base-images':
    'image.GetMetadata reads image manifests from a container registry, which only the kind backend has',
};

function runFolder(folder: string, runner: (test: CliTest) => string[]): FolderTally {
  const tally: FolderTally = { folder, passed: 0, total: 0, failures: [] };
  for (const file of testFiles(folder)) {
    for (const test of loadTests(file)) {
      tally.total++;
      let problems: string[];
      try {
        problems = runner(test);
      } catch (error) {
        problems = [`crashed: ${error instanceof Error ? error.message : String(error)}`];
      }
      if (problems.length === 0) tally.passed++;
      else {
        const why = Object.entries(reasons).find(([prefix]) => test.name.startsWith(prefix))?.[1];
        tally.failures.push(`${test.name}: ${problems.slice(0, 3).join(' | ')}${why ? `\n      why: ${why}` : ''}`);
      }
    }
  }
  return tally;
}

describe.skipIf(!cliPresent)('Kyverno CLI conformance: CEL policy types', () => {
  const tallies: FolderTally[] = [];

  it.each([
    ['test-validating-policy', runValidatingPolicyTest, 22],
    ['test-context-configmap-vpol', runValidatingPolicyTest, 1],
    ['test-context-apicall-vpol', runValidatingPolicyTest, 1],
    ['test-validating-admission-policy', runAdmissionPolicyTest, 10],
  ] as const)('%s passes at least 95%% of its tests', (folder, runner, count) => {
    const tally = runFolder(folder, runner);
    tallies.push(tally);
    printTally('Kyverno CLI tests (CEL policy types), passed per folder:', [tally]);
    expect(tally.total).toBe(count);
    expect(tally.passed / tally.total, tally.failures.join('\n')).toBeGreaterThanOrEqual(0.95);
  });
});
