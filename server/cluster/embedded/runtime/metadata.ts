/**
 * A cloud instance metadata service at 169.254.169.254, shaped like AWS's IMDSv1 (and GCP's
 * computeMetadata with its Metadata-Flavor header), so learners see what a pod that reaches it
 * gets: the node's role credentials. Every value is simulated and says so.
 */

const role = 'embedded-lab-node-role';

function credentials(): string {
  const expiration = new Date(Date.now() + 6 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  return `${JSON.stringify(
    {
      Code: 'Success',
      LastUpdated: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      Type: 'AWS-HMAC',
      AccessKeyId: 'ASIASIMULATEDEXAMPLE',
      SecretAccessKey: 'simulated/by/the/embedded/cluster/NOT-A-REAL-KEY',
      Token: 'simulated-session-token-of-the-node-role',
      Expiration: expiration,
    },
    null,
    2,
  )}\n`;
}

const aws: Record<string, () => string> = {
  '/': () => 'latest\n',
  '/latest/': () => 'dynamic\nmeta-data\nuser-data\n',
  '/latest/meta-data/': () =>
    'ami-id\nhostname\niam/\ninstance-id\ninstance-type\nlocal-ipv4\nplacement/\nsecurity-groups\n',
  '/latest/meta-data/hostname': () => 'ip-172-18-0-2.simulated.internal',
  '/latest/meta-data/instance-id': () => 'i-0simulated0000000',
  '/latest/meta-data/instance-type': () => 'm5.large',
  '/latest/meta-data/local-ipv4': () => '172.18.0.2',
  '/latest/meta-data/ami-id': () => 'ami-0simulated',
  '/latest/meta-data/security-groups': () => 'embedded-lab-nodes',
  '/latest/meta-data/iam/': () => 'info\nsecurity-credentials/\n',
  '/latest/meta-data/iam/security-credentials/': () => `${role}\n`,
  [`/latest/meta-data/iam/security-credentials/${role}`]: credentials,
  '/latest/user-data': () =>
    '#!/bin/bash\n# simulated node bootstrap script\n/etc/eks/bootstrap.sh embedded-lab --kubelet-extra-args "--node-labels=simulated=true"\n',
};

export function metadataAnswer(path: string, headers: Record<string, string>): { status: number; body: string } {
  const clean = path.replace(/\/{2,}/g, '/') || '/';
  if (clean.startsWith('/computeMetadata/')) {
    if (headers['metadata-flavor']?.toLowerCase() !== 'google')
      return { status: 403, body: 'Missing required header "Metadata-Flavor": "Google"\n' };
    if (clean.includes('/service-accounts/default/token'))
      return {
        status: 200,
        body: '{"access_token":"ya29.simulated-by-the-embedded-cluster","expires_in":3599,"token_type":"Bearer"}\n',
      };
    return { status: 200, body: 'instance/\nproject/\n' };
  }
  const answer = aws[clean] ?? aws[`${clean}/`];
  return answer ? { status: 200, body: answer() } : { status: 404, body: '404 - Not Found\n' };
}
