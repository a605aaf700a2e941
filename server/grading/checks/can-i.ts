import type { z } from 'zod';
import type { canICheck } from '../../../src/contracts/lab.ts';
import { canI } from '../can-i.ts';
import { message } from '../messages.ts';
import type { CheckRunner } from '../types.ts';

export const runCanI: CheckRunner<z.infer<typeof canICheck>> = async (check, ctx) => {
  const answer = await canI(ctx.api, check.as, check);
  const who =
    'serviceAccount' in check.as
      ? `ServiceAccount ${check.as.serviceAccount.namespace}/${check.as.serviceAccount.name}`
      : check.as.user;
  const resource =
    [check.resource + (check.subresource ? `/${check.subresource}` : ''), check.group ? `.${check.group}` : ''].join(
      '',
    ) + (check.name ? ` "${check.name}"` : '');
  const scope = check.namespace
    ? message(ctx.locale, 'scope.namespace', { ns: check.namespace })
    : message(ctx.locale, 'scope.cluster');
  const params = { who, verb: check.verb, resource, scope };
  if (answer.allowed === check.expect)
    return { passed: true, message: message(ctx.locale, check.expect ? 'cani.passYes' : 'cani.passNo', params) };
  return { passed: false, message: message(ctx.locale, check.expect ? 'cani.expectedYes' : 'cani.expectedNo', params) };
};
