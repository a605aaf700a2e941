import { addQuantities, formatQuantity, parseQuantity, type Quantity } from './quantity.ts';

type Obj = Record<string, unknown>;

/** A ResourceList ({cpu: "500m"}) as quantities; entries that do not parse are left out. */
export type ResourceList = Map<string, Quantity>;

export function resourceList(value: unknown): ResourceList {
  const list: ResourceList = new Map();
  for (const [k, v] of Object.entries((value as Obj | undefined) ?? {})) {
    const q = parseQuantity(v);
    if (q) list.set(k, q);
  }
  return list;
}

/** Sums two lists; a key in both keeps the first list's format, as quota.Add does. */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, q] of b) out.set(k, out.has(k) ? addQuantities(out.get(k)!, q) : q);
  return out;
}

/** "limits.cpu=2,requests.memory=1Gi": sorted, as the quota admission prints lists. */
export function printList(list: ResourceList, keys: string[] = [...list.keys()]): string {
  return [...keys]
    .sort()
    .map((k) => `${k}=${list.has(k) ? formatQuantity(list.get(k)!) : '0'}`)
    .join(',');
}

export function listObject(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...list.keys()].sort()) out[k] = formatQuantity(list.get(k)!);
  return out;
}
