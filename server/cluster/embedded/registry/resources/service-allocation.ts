import { randomInt } from 'node:crypto';
import { FieldError } from '../../api/status.ts';
import { formatIp, parseCidr, parseIp } from '../../../../netpol/ip.ts';
import type { Store } from '../../storage/store.ts';
import type { KubeObject } from '../../storage/types.ts';
import { asArray } from '../printing.ts';

/**
 * ClusterIP and NodePort allocation, as the service REST storage does it
 * (pkg/registry/core/service/ipallocator and portallocator): addresses come from the service
 * CIDR, node ports from 30000-32767, and a value in use by another Service is refused. The
 * store is the allocation table: what Services hold is what is allocated, so a dry run or a
 * failed write never leaks an address.
 */

type Obj = Record<string, unknown>;

export const serviceCidr = '10.96.0.0/12';
export const nodePortRange = { min: 30000, max: 32767 };
/** kubeadm's DNS address: the tenth of the service CIDR. */
export const clusterDnsIp = '10.96.0.10';

const range = parseCidr(serviceCidr)!;
/** The low band is kept for static addresses (min(max(16, size/16), 256) upstream). */
const staticBand = 256n;

function usedClusterIps(store: Store, except?: KubeObject): Set<string> {
  const used = new Set<string>();
  for (const svc of store.peek('services')) {
    if (except && svc.metadata.uid === except.metadata.uid) continue;
    for (const ip of asArray<string>((svc.spec as Obj | undefined)?.clusterIPs)) used.add(ip);
    const single = (svc.spec as Obj | undefined)?.clusterIP;
    if (typeof single === 'string') used.add(single);
  }
  return used;
}

function usedNodePorts(store: Store, except?: KubeObject): Set<number> {
  const used = new Set<number>();
  for (const svc of store.peek('services')) {
    if (except && svc.metadata.uid === except.metadata.uid) continue;
    for (const p of asArray((svc.spec as Obj | undefined)?.ports))
      if (typeof p.nodePort === 'number') used.add(p.nodePort);
  }
  return used;
}

function pickIp(used: Set<string>): string | undefined {
  const size = range.end - range.start - 1n; // network and broadcast addresses are never handed out
  const dynamic = size - staticBand;
  for (let attempt = 0; attempt < 64; attempt++) {
    const offset = staticBand + 1n + BigInt(randomInt(Number(dynamic)));
    const ip = formatIp(4, range.start + offset);
    if (!used.has(ip)) return ip;
  }
  for (let offset = 1n; offset < size; offset++) {
    const ip = formatIp(4, range.start + offset);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

function pickPort(used: Set<number>): number | undefined {
  for (let attempt = 0; attempt < 64; attempt++) {
    const port = nodePortRange.min + randomInt(nodePortRange.max - nodePortRange.min + 1);
    if (!used.has(port)) return port;
  }
  for (let port = nodePortRange.min; port <= nodePortRange.max; port++) if (!used.has(port)) return port;
  return undefined;
}

function needsClusterIp(spec: Obj): boolean {
  return spec.type !== 'ExternalName';
}

function needsNodePorts(spec: Obj): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

/**
 * Fills spec.clusterIP(s) and node ports of a Service being created or updated. On update the
 * values already allocated are kept when the request leaves them out (as kubectl apply does).
 */
export function allocateServiceAddresses(svc: KubeObject, store: Store, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = (svc.spec ??= {}) as Obj;
  const oldSpec = (old?.spec ?? {}) as Obj;
  if (old && needsClusterIp(spec) && needsClusterIp(oldSpec)) {
    spec.clusterIP ??= oldSpec.clusterIP;
    spec.clusterIPs ??= oldSpec.clusterIPs;
    if (spec.clusterIP !== oldSpec.clusterIP) {
      errs.push(FieldError.invalid('spec.clusterIPs[0]', spec.clusterIP, 'may not change once set'));
    }
  }
  if (!needsClusterIp(spec)) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  } else if (spec.clusterIP === 'None' || (asArray<string>(spec.clusterIPs)[0] as unknown) === 'None') {
    spec.clusterIP = 'None';
    spec.clusterIPs = ['None'];
  } else if (!old || spec.clusterIP !== oldSpec.clusterIP) {
    const requested = (spec.clusterIP as string | undefined) || asArray<string>(spec.clusterIPs)[0];
    const used = usedClusterIps(store, old);
    if (requested) {
      const parsed = parseIp(String(requested));
      if (!parsed || parsed.family !== 4) {
        errs.push(
          FieldError.invalid(
            'spec.clusterIPs[0]',
            requested,
            'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
          ),
        );
      } else if (parsed.value <= range.start || parsed.value >= range.end) {
        errs.push(
          FieldError.invalid(
            'spec.clusterIPs',
            [requested],
            `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${serviceCidr}`,
          ),
        );
      } else if (used.has(String(requested))) {
        errs.push(
          FieldError.invalid(
            'spec.clusterIPs',
            [requested],
            `failed to allocate IP ${requested}: provided IP is already allocated`,
          ),
        );
      } else {
        spec.clusterIP = requested;
        spec.clusterIPs = [requested];
      }
    } else {
      const ip = pickIp(used);
      if (!ip) errs.push(FieldError.invalid('spec.clusterIPs', [], 'failed to allocate IP: range is full'));
      else {
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      }
    }
  }
  const ports = asArray(spec.ports);
  if (needsNodePorts(spec)) {
    const used = usedNodePorts(store, old);
    const oldPorts = asArray(oldSpec.ports);
    ports.forEach((p, i) => {
      const previous = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (p.nodePort === undefined && typeof previous?.nodePort === 'number') p.nodePort = previous.nodePort;
      if (typeof p.nodePort === 'number') {
        if (p.nodePort === previous?.nodePort) {
          used.add(p.nodePort);
          return;
        }
        if (p.nodePort < nodePortRange.min || p.nodePort > nodePortRange.max) {
          errs.push(
            FieldError.invalid(
              `spec.ports[${i}].nodePort`,
              p.nodePort,
              `provided port is not in the valid range. The range of valid ports is ${nodePortRange.min}-${nodePortRange.max}`,
            ),
          );
        } else if (used.has(p.nodePort)) {
          errs.push(FieldError.invalid(`spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated'));
        }
        used.add(p.nodePort);
        return;
      }
      const port = pickPort(used);
      if (port === undefined) errs.push(FieldError.invalid(`spec.ports[${i}].nodePort`, 0, 'range is full'));
      else {
        p.nodePort = port;
        used.add(port);
      }
    });
  } else {
    ports.forEach((p, i) => {
      if (p.nodePort !== undefined && spec.type === 'ClusterIP')
        errs.push(FieldError.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  return errs;
}
