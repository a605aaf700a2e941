import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { KubeClient } from '../../kube/client.ts';
import { readHomeFile } from '../home-files.ts';
import { defineCheck } from '../plugin.ts';

type Obj = Record<string, unknown>;

/** A subject as RBAC bindings name it, and as the learner's report lists it. */
export interface RbacSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

/** The cluster's own identities, left out of reports; the broad groups stay, they are findings. */
const broadGroups = new Set(['system:authenticated', 'system:unauthenticated', 'system:serviceaccounts']);
export function isSystemSubject(s: RbacSubject): boolean {
  if (s.kind === 'ServiceAccount') return s.namespace === 'kube-system';
  if (s.kind === 'Group' && (broadGroups.has(s.name) || s.name.startsWith('system:serviceaccounts:'))) return false;
  if (s.kind === 'User' && s.name === 'system:anonymous') return false;
  return s.name.startsWith('system:');
}

export function subjectKey(s: RbacSubject): string {
  return s.kind === 'ServiceAccount' ? `ServiceAccount ${s.namespace}/${s.name}` : `${s.kind} ${s.name}`;
}

/** Every subject named by a RoleBinding in the namespace or by a ClusterRoleBinding. */
async function boundSubjects(api: KubeClient, namespace: string | undefined): Promise<RbacSubject[]> {
  const lists = [`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`];
  if (namespace) lists.push(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`);
  const found = new Map<string, RbacSubject>();
  for (const path of lists) {
    const res = await api.send('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
    for (const binding of (res.json().items as Obj[] | undefined) ?? []) {
      for (const raw of (binding.subjects as Obj[] | undefined) ?? []) {
        const kind = String(raw.kind);
        if (kind !== 'User' && kind !== 'Group' && kind !== 'ServiceAccount') continue;
        const s: RbacSubject = {
          kind,
          name: String(raw.name),
          ...(kind === 'ServiceAccount' ? { namespace: String(raw.namespace ?? namespace ?? '') } : {}),
        };
        found.set(subjectKey(s), s);
      }
    }
  }
  return [...found.values()];
}

/** A SubjectAccessReview for the subject on its own: a user without groups, a group alone. */
async function allowed(
  api: KubeClient,
  s: RbacSubject,
  attrs: { verb: string; group: string; resource: string; subresource: string; namespace: string },
): Promise<boolean> {
  const identity =
    s.kind === 'User'
      ? { user: s.name }
      : s.kind === 'Group'
        ? { user: 'lab-grader:group-probe', groups: [s.name] }
        : { user: `system:serviceaccount:${s.namespace}:${s.name}` };
  const review = await api.create<{ status?: { allowed?: boolean } }>(
    '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { ...identity, resourceAttributes: { ...attrs, name: '' } },
    },
  );
  return review.status?.allowed === true;
}

/** The subjects the cluster's RBAC lets do any of the verbs, computed now (the truth). */
export async function subjectsThatCan(
  api: KubeClient,
  q: { verbs: string[]; resource: string; group?: string; subresource?: string; namespace?: string },
): Promise<RbacSubject[]> {
  const candidates = (await boundSubjects(api, q.namespace)).filter((s) => !isSystemSubject(s));
  const result: RbacSubject[] = [];
  for (const s of candidates) {
    for (const verb of q.verbs) {
      const attrs = {
        verb,
        group: q.group ?? '',
        resource: q.resource,
        subresource: q.subresource ?? '',
        namespace: q.namespace ?? '',
      };
      if (await allowed(api, s, attrs)) {
        result.push(s);
        break;
      }
    }
  }
  return result;
}

/** The learner's list: `subjects: [{kind, name, namespace}]`; undefined entries are reported as malformed. */
function reportedSubjects(data: unknown): { subjects: RbacSubject[]; malformed: number } | undefined {
  const list = (data as Obj | null)?.subjects;
  if (!Array.isArray(list)) return undefined;
  const subjects: RbacSubject[] = [];
  let malformed = 0;
  for (const item of list as Obj[]) {
    const kind = String(item?.kind ?? '');
    const name = typeof item?.name === 'string' ? item.name : '';
    if (!name || (kind !== 'User' && kind !== 'Group' && kind !== 'ServiceAccount')) malformed++;
    else if (kind === 'ServiceAccount' && typeof item.namespace !== 'string') malformed++;
    else subjects.push({ kind, name, ...(kind === 'ServiceAccount' ? { namespace: String(item.namespace) } : {}) });
  }
  return { subjects, malformed };
}

/**
 * The learner's access report (who can do something) matches the truth the grader computes from
 * the cluster's RBAC at the time of the check, with SubjectAccessReviews for every bound subject.
 * Feedback names the wrong entries the learner wrote, and only counts the missing ones.
 */
export default defineCheck({
  kind: 'access-report',
  schema: z.object({
    kind: z.literal('access-report'),
    /** The report in the learner's HOME (YAML or JSON): `subjects: [{kind, name, namespace}]`. */
    path: z.string().min(1),
    /** The subject counts if it may do any of these verbs. */
    verbs: z.array(z.string().min(1)).min(1),
    resource: z.string().min(1),
    group: z.string().optional(),
    subresource: z.string().optional(),
    namespace: z.string().optional(),
  }),
  messages: {
    es: {
      missing: 'No encuentro el archivo {path}.',
      unparsable: 'El archivo {path} no es YAML válido: {error}',
      noList:
        'El archivo {path} no tiene una lista `subjects` con elementos `kind`, `name` (y `namespace` en las ServiceAccounts).',
      malformed:
        '{count} elemento(s) de `subjects` en {path} no tienen `kind` (User, Group o ServiceAccount), `name` y, si son ServiceAccounts, `namespace`.',
      extra: 'Según el RBAC del clúster, estos sujetos de {path} no pueden {action}: {subjects}.',
      short: 'A {path} le faltan {count} sujeto(s) que sí pueden {action}.',
      pass: '{path} enumera exactamente los {count} sujeto(s) que pueden {action}.',
      action: '{verbs} {resource}{scope}',
      scopeNamespace: ' en el namespace {ns}',
      scopeCluster: ' en todo el clúster',
    },
    en: {
      missing: 'The file {path} was not found.',
      unparsable: 'The file {path} is not valid YAML: {error}',
      noList:
        'The file {path} has no `subjects` list of items with `kind`, `name` (and `namespace` for ServiceAccounts).',
      malformed:
        '{count} item(s) of `subjects` in {path} lack a `kind` (User, Group or ServiceAccount), a `name` and, for ServiceAccounts, a `namespace`.',
      extra: "According to the cluster's RBAC, these subjects in {path} cannot {action}: {subjects}.",
      short: '{path} is missing {count} subject(s) that can {action}.',
      pass: '{path} lists exactly the {count} subject(s) that can {action}.',
      action: '{verbs} {resource}{scope}',
      scopeNamespace: ' in namespace {ns}',
      scopeCluster: ' cluster-wide',
    },
  },
  async run(check, ctx, say) {
    const text = await readHomeFile(ctx, check.path);
    if (text === undefined) return { passed: false, message: say('missing', { path: check.path }) };
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch (error) {
      const first = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      return { passed: false, message: say('unparsable', { path: check.path, error: first }) };
    }
    const report = reportedSubjects(data);
    if (!report) return { passed: false, message: say('noList', { path: check.path }) };
    if (report.malformed)
      return { passed: false, message: say('malformed', { path: check.path, count: report.malformed }) };
    const scope = check.namespace ? say('scopeNamespace', { ns: check.namespace }) : say('scopeCluster');
    const action = say('action', { verbs: check.verbs.join('/'), resource: check.resource, scope });
    const truth = new Set((await subjectsThatCan(ctx.api, check)).map(subjectKey));
    const reported = new Set(report.subjects.map(subjectKey));
    const extra = [...reported].filter((k) => !truth.has(k)).sort();
    const missing = [...truth].filter((k) => !reported.has(k));
    if (extra.length)
      return { passed: false, message: say('extra', { path: check.path, action, subjects: extra.join(', ') }) };
    if (missing.length)
      return { passed: false, message: say('short', { path: check.path, action, count: missing.length }) };
    return { passed: true, message: say('pass', { path: check.path, action, count: truth.size }) };
  },
});
