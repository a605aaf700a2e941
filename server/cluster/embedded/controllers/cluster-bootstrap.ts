import { randomUUID } from 'node:crypto';
import { rootCaConfigMapName } from '../admission/serviceaccount/plugin.ts';
import { sameContent } from '../api/objects.ts';
import { rfc3339 } from '../api/time.ts';
import type { Controller, ControllerContext } from './context.ts';

/** The description kube-controller-manager's root-ca-cert-publisher writes on the ConfigMap. */
export const rootCaDescription =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/**
 * The root CA publisher (pkg/controller/certificates/rootcacertpublisher): every active
 * namespace has a kube-root-ca.crt ConfigMap holding the cluster CA; a deleted or edited
 * one is put back.
 */
export class RootCaPublisher implements Controller {
  readonly name = 'root-ca-cert-publisher';
  readonly watches = ['namespaces', 'configmaps'];
  private readonly ctx: ControllerContext;
  private readonly caPem: string;
  constructor(ctx: ControllerContext, caPem: string) {
    this.ctx = ctx;
    this.caPem = caPem;
  }
  sync(): void {
    const def = this.ctx.def('', 'configmaps');
    for (const ns of this.ctx.store.list('namespaces')) {
      if (ns.metadata.deletionTimestamp) continue;
      const namespace = ns.metadata.name ?? '';
      const current = this.ctx.store.get('configmaps', namespace, rootCaConfigMapName);
      const data = { 'ca.crt': this.caPem };
      const annotations = { 'kubernetes.io/description': rootCaDescription };
      if (current && sameContent(current.data, data) && current.metadata.annotations?.['kubernetes.io/description']) {
        continue;
      }
      this.ctx.registry.writeObject(def, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: current
          ? { ...current.metadata, annotations: { ...(current.metadata.annotations ?? {}), ...annotations } }
          : { name: rootCaConfigMapName, namespace, uid: randomUUID(), creationTimestamp: rfc3339(), annotations },
        data,
      });
    }
  }
}

/** The API server's address on the node, where the kubernetes Service sends traffic. */
const apiServerEndpoint = { ip: '172.18.0.2', port: 6443 };

/** The ClusterIP of the kubernetes Service: the first address of the default 10.96.0.0/12 range. */
export const kubernetesServiceIp = '10.96.0.1';

/**
 * The API server's own Service, default/kubernetes on 443 → 6443, which kube-apiserver
 * keeps in place (pkg/controlplane/controller/kubernetesservice).
 */
export class KubernetesServiceController implements Controller {
  readonly name = 'kubernetes-service-controller';
  readonly watches = ['services', 'namespaces', 'endpoints', 'endpointslices.discovery.k8s.io'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    const ns = this.ctx.store.get('namespaces', '', 'default');
    if (!ns || ns.metadata.deletionTimestamp) return;
    this.ensureEndpoints();
    if (this.ctx.store.get('services', 'default', 'kubernetes')) return;
    this.ctx.registry.writeObject(this.ctx.def('', 'services'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        uid: randomUUID(),
        creationTimestamp: rfc3339(),
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: {
        clusterIP: kubernetesServiceIp,
        clusterIPs: [kubernetesServiceIp],
        internalTrafficPolicy: 'Cluster',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
        sessionAffinity: 'None',
        type: 'ClusterIP',
      },
      status: { loadBalancer: {} },
    });
  }

  /** The Endpoints and EndpointSlice kube-apiserver keeps for itself (its reconciler), put back when removed. */
  private ensureEndpoints(): void {
    const labels = { 'endpointslice.kubernetes.io/skip-mirror': 'true' };
    if (!this.ctx.store.get('endpoints', 'default', 'kubernetes')) {
      this.ctx.registry.writeObject(this.ctx.def('', 'endpoints'), {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'kubernetes', namespace: 'default', uid: randomUUID(), creationTimestamp: rfc3339(), labels },
        subsets: [
          {
            addresses: [{ ip: apiServerEndpoint.ip }],
            ports: [{ name: 'https', port: apiServerEndpoint.port, protocol: 'TCP' }],
          },
        ],
      });
    }
    if (!this.ctx.store.get('endpointslices.discovery.k8s.io', 'default', 'kubernetes')) {
      this.ctx.registry.writeObject(this.ctx.def('discovery.k8s.io', 'endpointslices'), {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          uid: randomUUID(),
          creationTimestamp: rfc3339(),
          generation: 1,
          labels: { 'kubernetes.io/service-name': 'kubernetes' },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: [apiServerEndpoint.ip], conditions: { ready: true } }],
        ports: [{ name: 'https', port: apiServerEndpoint.port, protocol: 'TCP' }],
      });
    }
  }
}
