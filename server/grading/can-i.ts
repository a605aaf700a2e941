import type { KubeClient } from '../kube/client.ts';

/** Who is asked about: a user (with groups) or a ServiceAccount. */
export type Subject = { user: string; groups?: string[] } | { serviceAccount: { namespace: string; name: string } };

export interface AccessQuery {
  verb: string;
  resource: string;
  /** API group; "" (core) by default. */
  group?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface AccessAnswer {
  allowed: boolean;
  reason: string;
}

/**
 * Can this subject do this? Asked through a SubjectAccessReview, so the same check works
 * on the embedded cluster and on a real one. Users get system:authenticated as a
 * real login would; ServiceAccounts get their service-account groups.
 */
export async function canI(api: KubeClient, subject: Subject, query: AccessQuery): Promise<AccessAnswer> {
  const identity =
    'serviceAccount' in subject
      ? {
          user: `system:serviceaccount:${subject.serviceAccount.namespace}:${subject.serviceAccount.name}`,
          groups: [
            'system:serviceaccounts',
            `system:serviceaccounts:${subject.serviceAccount.namespace}`,
            'system:authenticated',
          ],
        }
      : { user: subject.user, groups: [...new Set([...(subject.groups ?? []), 'system:authenticated'])] };
  const review = await api.create<{ status?: { allowed?: boolean; reason?: string } }>(
    '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        ...identity,
        resourceAttributes: {
          verb: query.verb,
          group: query.group ?? '',
          resource: query.resource,
          subresource: query.subresource ?? '',
          namespace: query.namespace ?? '',
          name: query.name ?? '',
        },
      },
    },
  );
  return { allowed: review.status?.allowed === true, reason: review.status?.reason ?? '' };
}
