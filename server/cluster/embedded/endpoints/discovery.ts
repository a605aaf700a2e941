import { createHash } from 'node:crypto';
import type { ResourceCatalog } from '../registry/catalog.ts';
import { groupVersion, type ResourceDef } from '../registry/types.ts';

const aggregatedType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function responseKind(def: ResourceDef, sub?: { kind: string; group?: string; version?: string }) {
  return { group: sub?.group ?? def.group, version: sub?.version ?? def.version, kind: sub?.kind ?? def.kind };
}

/** One resource in aggregated (apidiscovery.k8s.io/v2) form. */
function aggregatedResource(def: ResourceDef) {
  const entry: Record<string, unknown> = {
    resource: def.plural,
    responseKind: responseKind(def),
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: def.verbs,
  };
  if (def.shortNames?.length) entry.shortNames = def.shortNames;
  if (def.categories?.length) entry.categories = def.categories;
  const subs = Object.entries(def.subresources ?? {});
  if (subs.length) {
    entry.subresources = subs.map(([name, sub]) => ({
      subresource: name,
      responseKind: responseKind(def, sub),
      verbs: sub.verbs,
    }));
  }
  return entry;
}

function storageVersionHash(def: ResourceDef): string {
  return createHash('sha256').update(`${def.group}/${def.version}/${def.kind}`).digest('base64').slice(0, 11);
}

/** The legacy APIResourceList of /api/v1 or /apis/{group}/{version}. */
export function resourceList(catalog: ResourceCatalog, group: string, version: string) {
  const defs = catalog.inGroupVersion(group, version);
  if (defs.length === 0) return undefined;
  const resources: Array<Record<string, unknown>> = [];
  for (const def of defs) {
    const main: Record<string, unknown> = {
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs,
    };
    if (def.shortNames?.length) main.shortNames = def.shortNames;
    if (def.categories?.length) main.categories = def.categories;
    if (!def.virtual) main.storageVersionHash = storageVersionHash(def);
    resources.push(main);
    for (const [name, sub] of Object.entries(def.subresources ?? {})) {
      const entry: Record<string, unknown> = {
        name: `${def.plural}/${name}`,
        singularName: '',
        namespaced: def.namespaced,
        kind: sub.kind,
        verbs: sub.verbs,
      };
      if (sub.group) entry.group = sub.group;
      if (sub.version) entry.version = sub.version;
      resources.push(entry);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources };
}

function groupEntry(group: string, versions: string[]) {
  return {
    name: group,
    versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
  };
}

/** GET /api and /apis, aggregated or legacy depending on what the client accepts. */
export function rootDiscovery(
  catalog: ResourceCatalog,
  prefix: 'api' | 'apis',
  aggregated: boolean,
  serverAddress: string,
) {
  const groups = catalog.groups().filter((g) => (prefix === 'api' ? g.group === '' : g.group !== ''));
  if (aggregated) {
    const items = groups.map((g) => ({
      metadata: g.group ? { name: g.group, creationTimestamp: null } : { creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version,
        resources: catalog.inGroupVersion(g.group, version).map(aggregatedResource),
        freshness: 'Current',
      })),
    }));
    return {
      contentType: aggregatedType,
      body: { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items },
    };
  }
  if (prefix === 'api') {
    return {
      contentType: 'application/json',
      body: {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
      },
    };
  }
  return {
    contentType: 'application/json',
    body: { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => groupEntry(g.group, g.versions)) },
  };
}

/** GET /apis/{group}: one APIGroup. */
export function groupDiscovery(catalog: ResourceCatalog, group: string) {
  const found = catalog.groups().find((g) => g.group === group);
  if (!found) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(found.group, found.versions) };
}
