import type { PolicyRule } from './rules.ts';

/** Compact builders for bootstrap policy rules: verbs, groups and resources as upstream sorts them. */
export const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]) =>
  (resourceNames ? { apiGroups, resourceNames, resources, verbs } : { apiGroups, resources, verbs }) as PolicyRule;

export const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ nonResourceURLs, verbs });

export const read = ['get', 'list', 'watch'];
export const write = ['create', 'delete', 'deletecollection', 'patch', 'update'];
export const readWrite = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const listWatch = ['list', 'watch'];
export const core = [''];

/** What nearly every component may do with Events, in both event APIs. */
export const eventsRule = rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']);
