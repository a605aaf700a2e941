import { z } from 'zod';
import { subject } from '../../../src/contracts/lab.ts';
import { canI } from '../can-i.ts';
import { defineCheck } from '../plugin.ts';

/** A SubjectAccessReview for `as` gives the expected answer; eventually (RBAC changes settle). */
export default defineCheck({
  kind: 'can-i',
  schema: z.object({
    kind: z.literal('can-i'),
    as: subject,
    verb: z.string().min(1),
    resource: z.string().min(1),
    group: z.string().optional(),
    subresource: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
    expect: z.boolean(),
  }),
  messages: {
    es: {
      expectedYes: '{who} no puede {verb} {resource}{scope}, pero debería poder.',
      expectedNo: '{who} puede {verb} {resource}{scope}, pero no debería poder.',
      passYes: '{who} puede {verb} {resource}{scope}.',
      passNo: '{who} no puede {verb} {resource}{scope}.',
      scopeNamespace: ' en el namespace {ns}',
      scopeCluster: ' en todo el clúster',
    },
    en: {
      expectedYes: '{who} cannot {verb} {resource}{scope}, but should be able to.',
      expectedNo: '{who} can {verb} {resource}{scope}, but should not be able to.',
      passYes: '{who} can {verb} {resource}{scope}.',
      passNo: '{who} cannot {verb} {resource}{scope}.',
      scopeNamespace: ' in namespace {ns}',
      scopeCluster: ' cluster-wide',
    },
  },
  eventually: true,
  async run(check, ctx, say) {
    const answer = await canI(ctx.api, check.as, check);
    const who =
      'serviceAccount' in check.as
        ? `ServiceAccount ${check.as.serviceAccount.namespace}/${check.as.serviceAccount.name}`
        : check.as.user;
    const resource =
      [check.resource + (check.subresource ? `/${check.subresource}` : ''), check.group ? `.${check.group}` : ''].join(
        '',
      ) + (check.name ? ` "${check.name}"` : '');
    const scope = check.namespace ? say('scopeNamespace', { ns: check.namespace }) : say('scopeCluster');
    const params = { who, verb: check.verb, resource, scope };
    if (answer.allowed === check.expect)
      return { passed: true, message: say(check.expect ? 'passYes' : 'passNo', params) };
    return { passed: false, message: say(check.expect ? 'expectedYes' : 'expectedNo', params) };
  },
});
