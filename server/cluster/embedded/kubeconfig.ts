import { stringify } from 'yaml';

/** A user's client certificate and key, as a kubeconfig carries them. */
export interface Credentials {
  user: string;
  groups: string[];
  certPem: string;
  keyPem: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A kubeconfig with one context per user; the first user's context is current. */
export function kubeconfigYaml(clusterName: string, server: string, caPem: string, users: Credentials[]): string {
  const contextName = (user: string) => (user === users[0]?.user ? clusterName : `${user}@${clusterName}`);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: users.map((u) => ({
      name: u.user,
      user: { 'client-certificate-data': b64(u.certPem), 'client-key-data': b64(u.keyPem) },
    })),
    contexts: users.map((u) => ({
      name: contextName(u.user),
      context: { cluster: clusterName, user: u.user, namespace: 'default' },
    })),
    'current-context': contextName(users[0]?.user ?? ''),
    preferences: {},
  });
}
