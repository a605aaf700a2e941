/**
 * Which lists merge by key under strategic merge patch and server-side apply, from
 * the patchMergeKey/listMapKeys tags of the built-in types. Lists not named here
 * are atomic (replaced whole), as args, command, tolerations and capabilities are.
 */
export interface ListMeta {
  /** Keys that identify an item (several for list-map-keys such as port+protocol). */
  keys: string[];
}

const byName: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  volumes: ['name'],
  imagePullSecrets: ['name'],
  env: ['name'],
  resourceClaims: ['name'],
  schedulingGates: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  conditions: ['type'],
  addresses: ['type'],
  ownerReferences: ['uid'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
  secrets: ['name'],
};

/** Primitive lists merged as sets. */
const primitiveMergeLists = new Set(['finalizers']);

/**
 * Merge metadata for the list at `fieldName` given its items (ports differ by
 * owner: containers key by containerPort, services by port).
 */
export function listMeta(fieldName: string, items: unknown[], structured: boolean): ListMeta | 'set' | undefined {
  if (!structured) return undefined;
  if (primitiveMergeLists.has(fieldName)) return 'set';
  if (fieldName === 'ports') {
    const first = items.find((i) => i && typeof i === 'object') as Record<string, unknown> | undefined;
    if (first && 'containerPort' in first) return { keys: ['containerPort', 'protocol'] };
    return { keys: ['port', 'protocol'] };
  }
  const keys = byName[fieldName];
  return keys ? { keys } : undefined;
}

/** Identity of a list item under its keys ("protocol" defaults to TCP, as the API does). */
export function itemIdentity(item: unknown, meta: ListMeta): string {
  const obj = (item ?? {}) as Record<string, unknown>;
  return JSON.stringify(
    meta.keys.map((k) => {
      const value = obj[k];
      if (k === 'protocol' && value === undefined) return 'TCP';
      return value ?? null;
    }),
  );
}
