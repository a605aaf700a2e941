import { randomUUID } from 'node:crypto';
import { clusterDnsIp } from '../registry/resources/service-allocation.ts';
import type { KubeObject } from '../storage/types.ts';

/**
 * The cluster DNS add-on as kubeadm installs it: the coredns Deployment, its ServiceAccount and
 * Corefile, and the kube-dns Service on 10.96.0.10. The pods are simulated like every other; the
 * embedded cluster's pod network answers DNS for them (runtime/dns.ts), so these objects exist
 * for what learners do with them: read them, and write DNS egress rules that select them.
 */

export const dnsDomain = 'cluster.local';
export const dnsLabels = { 'k8s-app': 'kube-dns' };
export const coreDnsImage = 'registry.k8s.io/coredns/coredns:v1.12.1';

const corefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${dnsDomain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success ${dnsDomain}
       disable denial ${dnsDomain}
    }
    loop
    reload
    loadbalance
}
`;

export function clusterDnsObjects(now: string): Array<{ resource: string; object: KubeObject }> {
  const meta = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    namespace: 'kube-system',
    uid: randomUUID(),
    creationTimestamp: now,
    ...extra,
  });
  const ports = [
    { containerPort: 53, name: 'dns', protocol: 'UDP' },
    { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
    { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
  ];
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('coredns', { labels: { ...dnsLabels }, generation: 1 }),
    spec: {
      replicas: 2,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { ...dnsLabels } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { ...dnsLabels } },
        spec: {
          serviceAccountName: 'coredns',
          priorityClassName: 'system-cluster-critical',
          dnsPolicy: 'Default',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
          ],
          containers: [
            {
              name: 'coredns',
              image: coreDnsImage,
              imagePullPolicy: 'IfNotPresent',
              args: ['-conf', '/etc/coredns/Corefile'],
              ports,
              resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                readOnlyRootFilesystem: true,
              },
              volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
            },
          ],
          volumes: [
            { name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } },
          ],
        },
      },
    },
    status: {},
  };
  return [
    {
      resource: 'serviceaccounts',
      object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('coredns') },
    },
    {
      resource: 'configmaps',
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('coredns'), data: { Corefile: corefile } },
    },
    { resource: 'deployments.apps', object: deployment },
    {
      resource: 'services',
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta('kube-dns', {
          labels: { ...dnsLabels, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
          annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
        }),
        spec: {
          selector: { ...dnsLabels },
          clusterIP: clusterDnsIp,
          clusterIPs: [clusterDnsIp],
          internalTrafficPolicy: 'Cluster',
          ipFamilies: ['IPv4'],
          ipFamilyPolicy: 'SingleStack',
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
            { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
            { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
          ],
          sessionAffinity: 'None',
          type: 'ClusterIP',
        },
        status: { loadBalancer: {} },
      },
    },
  ];
}
