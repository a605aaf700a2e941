import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { NamespaceInfo, NetworkPolicy, PodPeer } from '../../server/netpol/engine.ts';

/**
 * Reads one np-guard netpol-analyzer test folder the way its parser does: every YAML/JSON file,
 * Lists flattened, pods grouped into workloads by their controller owner, workload manifests
 * turned into one representative pod. Only the objects the engine needs are kept.
 */

type Obj = Record<string, unknown> & {
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; ownerReferences?: Obj[] };
  items?: Obj[];
  spec?: Obj;
};

export interface Workload {
  /** np-guard's name for it: "ns/name[Kind]". */
  id: string;
  pod: PodPeer;
}

export interface NpGuardCase {
  namespaces: NamespaceInfo[];
  policies: NetworkPolicy[];
  workloads: Workload[];
}

const workloadKinds = new Set(['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'ReplicationController', 'Job']);

/** Items of a "PodList" carry no kind of their own; items of a plain "List" do. */
function flatten(object: Obj): Obj[] {
  if (!object.kind?.endsWith('List') || !Array.isArray(object.items)) return [object];
  const itemKind = object.kind === 'List' ? undefined : object.kind.slice(0, -'List'.length);
  return object.items.flatMap((item) => flatten(item.kind || !itemKind ? item : { ...item, kind: itemKind }));
}

function podTemplate(object: Obj): Obj | undefined {
  const spec = object.spec as Obj | undefined;
  if (object.kind === 'CronJob') return ((spec?.jobTemplate as Obj)?.spec as Obj)?.template as Obj | undefined;
  return spec?.template as Obj | undefined;
}

function portsOf(podSpec: Obj | undefined): PodPeer['ports'] {
  return ((podSpec?.containers as Obj[] | undefined) ?? []).flatMap((c) => (c.ports as PodPeer['ports']) ?? []);
}

export function loadNpGuardCase(dir: string): NpGuardCase {
  const objects: Obj[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!/\.(ya?ml|json)$/.test(file)) continue;
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const value = doc.toJS() as Obj | null;
      if (value && typeof value === 'object') objects.push(...flatten(value));
    }
  }
  const namespaces = new Map<string, NamespaceInfo>();
  const policies: NetworkPolicy[] = [];
  const workloads = new Map<string, Workload>();
  const addWorkload = (id: string, pod: PodPeer) => {
    if (!workloads.has(id)) workloads.set(id, { id, pod });
  };
  for (const object of objects) {
    const meta = object.metadata ?? {};
    const namespace = meta.namespace || 'default';
    if (object.kind === 'Namespace') {
      namespaces.set(meta.name ?? '', { name: meta.name ?? '', labels: meta.labels ?? {} });
    } else if (object.kind === 'NetworkPolicy') {
      policies.push({ metadata: { name: meta.name, namespace }, spec: object.spec as NetworkPolicy['spec'] });
    } else if (object.kind === 'Pod') {
      const owner = (meta.ownerReferences ?? []).find((r) => r.controller === true && r.kind !== 'Node');
      const id = owner ? `${namespace}/${String(owner.name)}[${String(owner.kind)}]` : `${namespace}/${meta.name}[Pod]`;
      const status = (object.status as Obj | undefined) ?? {};
      const ips = ((status.podIPs as Array<{ ip: string }> | undefined) ?? []).map((p) => p.ip);
      addWorkload(id, {
        kind: 'pod',
        namespace,
        name: meta.name ?? '',
        labels: meta.labels ?? {},
        ips,
        ports: portsOf(object.spec),
      });
    } else if (workloadKinds.has(object.kind ?? '') || object.kind === 'CronJob') {
      const template = podTemplate(object);
      const templateMeta = (template?.metadata as Obj['metadata']) ?? {};
      addWorkload(`${namespace}/${meta.name}[${object.kind}]`, {
        kind: 'pod',
        namespace,
        name: `${meta.name}-1`,
        labels: templateMeta.labels ?? {},
        ips: [],
        ports: portsOf(template?.spec as Obj | undefined),
      });
    }
  }
  for (const w of workloads.values()) {
    if (!namespaces.has(w.pod.namespace)) namespaces.set(w.pod.namespace, { name: w.pod.namespace, labels: {} });
  }
  return { namespaces: [...namespaces.values()], policies, workloads: [...workloads.values()] };
}

export interface ExpectedLine {
  src: string;
  dst: string;
  connections: string;
}

/** "src => dst : conns" lines of a connlist text output. */
export function parseConnlist(text: string): ExpectedLine[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes(' => '))
    .map((line) => {
      const [pair, connections] = line.split(' : ') as [string, string];
      const [src, dst] = pair.split(' => ') as [string, string];
      return { src: src.trim(), dst: dst.trim(), connections: connections.trim() };
    });
}
