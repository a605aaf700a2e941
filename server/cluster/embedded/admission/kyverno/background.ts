import type { ResourceCatalog } from '../../registry/catalog.ts';
import { storageName } from '../../registry/types.ts';
import type { Store } from '../../storage/store.ts';
import type { KubeObject } from '../../storage/types.ts';
import { parseApiPath, type ContextLoaders } from './context.ts';
import type { CloneSource } from './generate.ts';

type Obj = Record<string, unknown>;

/** A trigger for Kyverno's background controller (its UpdateRequest): generate or mutate existing. */
export interface BackgroundRequest {
  type: 'generate' | 'mutate';
  policy: { kind: string; namespace: string; name: string };
  rule: string;
  trigger: { resource: string; namespace: string; name: string; uid: string };
  operation: string;
  user: { username: string; groups: string[] };
}

/** Requests admission hands to the background controller, processed after the trigger is stored. */
export class BackgroundQueue {
  private items: BackgroundRequest[] = [];
  push(request: BackgroundRequest): void {
    this.items.push(request);
  }
  drain(): BackgroundRequest[] {
    const out = this.items;
    this.items = [];
    return out;
  }
  get size(): number {
    return this.items.length;
  }
}

/** Context loaders and clone sources read from the cluster's store (what Kyverno reads through the API). */
export function storeReaders(
  store: Store,
  catalog: ResourceCatalog,
): { loaders: ContextLoaders; sources: CloneSource } {
  const defByKind = (apiVersion: string, kind: string) => catalog.findKind(apiVersion, kind);
  return {
    loaders: {
      configMap: (namespace, name) => store.get('configmaps', namespace, name) as Obj | undefined,
      apiGet(urlPath) {
        const p = parseApiPath(urlPath);
        if (!p) return undefined;
        const def = catalog.find(p.group, p.version, p.plural);
        if (!def) return undefined;
        const key = storageName(def);
        if (p.name) return store.get(key, def.namespaced ? p.namespace : '', p.name) as Obj | undefined;
        const items = [...store.peek(key, def.namespaced && p.namespace ? p.namespace : undefined)];
        return {
          apiVersion: p.group ? `${p.group}/${p.version}` : p.version,
          kind: `${def.kind}List`,
          metadata: {},
          items,
        };
      },
    },
    sources: {
      get(apiVersion, kind, namespace, name) {
        const def = defByKind(apiVersion, kind);
        return def
          ? (store.get(storageName(def), def.namespaced ? namespace : '', name) as Obj | undefined)
          : undefined;
      },
      list(apiVersion, kind, namespace) {
        const def = defByKind(apiVersion, kind);
        return def
          ? ([...store.peek(storageName(def), def.namespaced ? namespace || undefined : undefined)] as Obj[])
          : [];
      },
    },
  };
}

export function policyKey(policy: KubeObject): BackgroundRequest['policy'] {
  return { kind: policy.kind, namespace: policy.metadata.namespace ?? '', name: policy.metadata.name ?? '' };
}
