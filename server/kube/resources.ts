import type { KubeClient } from './client.ts';

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/** Maps apiVersion/kind to REST paths through discovery, caching per client. */
export class ResourcePaths {
  private readonly cache = new Map<string, ApiResource[]>();
  private readonly api: KubeClient;

  constructor(api: KubeClient) {
    this.api = api;
  }

  async resource(apiVersion: string, kind: string): Promise<ApiResource | undefined> {
    let list = this.cache.get(apiVersion);
    if (!list) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const res = await this.api.send('GET', path);
      if (res.status !== 200) return undefined;
      list = ((res.json().resources as ApiResource[]) ?? []).filter((r) => !r.name.includes('/'));
      this.cache.set(apiVersion, list);
    }
    return list.find((r) => r.kind === kind);
  }

  /** "/api/v1/namespaces/default/pods[/name]" for an object reference. */
  async path(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name?: string,
  ): Promise<{ path: string; namespaced: boolean } | undefined> {
    const r = await this.resource(apiVersion, kind);
    if (!r) return undefined;
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = r.namespaced ? `/namespaces/${encodeURIComponent(namespace || 'default')}` : '';
    return { path: `${base}${ns}/${r.name}${name ? `/${encodeURIComponent(name)}` : ''}`, namespaced: r.namespaced };
  }
}
