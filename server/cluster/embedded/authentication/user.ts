/** An authenticated identity (k8s.io/apiserver/pkg/authentication/user.Info). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const systemMasters = 'system:masters';
export const authenticatedGroup = 'system:authenticated';
export const unauthenticatedUser = 'system:anonymous';
export const unauthenticatedGroup = 'system:unauthenticated';

/** Adds system:authenticated the way the API server's authenticator union does. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.username === unauthenticatedUser || user.groups.includes(authenticatedGroup)) return user;
  return { ...user, groups: [...user.groups, authenticatedGroup] };
}

/** ServiceAccount user names: system:serviceaccount:<namespace>:<name>. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export function serviceAccountGroups(namespace: string): string[] {
  return ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];
}
