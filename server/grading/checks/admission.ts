import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { admissionCheck } from '../../../src/contracts/lab.ts';
import { ResourcePaths } from '../../kube/resources.ts';
import { message } from '../messages.ts';
import type { CheckRunner } from '../types.ts';

type Obj = Record<string, unknown>;

/** Impersonation headers for a check's identity (one Impersonate-Group header per group). */
export function impersonationHeaders(as: z.infer<typeof admissionCheck>['as']): Record<string, string | string[]> {
  if (!as) return {};
  if ('serviceAccount' in as)
    return { 'impersonate-user': `system:serviceaccount:${as.serviceAccount.namespace}:${as.serviceAccount.name}` };
  const headers: Record<string, string | string[]> = { 'impersonate-user': as.user };
  if (as.groups?.length) headers['impersonate-group'] = as.groups;
  return headers;
}

/** Sends the manifest with server-side dry-run (as the given identity) and compares the outcome. */
export const runAdmission: CheckRunner<z.infer<typeof admissionCheck>> = async (check, ctx) => {
  const manifest = (
    typeof check.manifest === 'string'
      ? parseYaml(await readFile(join(ctx.labDir, check.manifest), 'utf8'))
      : check.manifest
  ) as Obj;
  const meta = (manifest.metadata ?? {}) as Obj;
  const what = `${String(manifest.kind)} ${String(meta.name ?? meta.generateName ?? '')}`.trim();
  const located = await new ResourcePaths(ctx.api).path(
    String(manifest.apiVersion),
    String(manifest.kind),
    meta.namespace as string | undefined,
  );
  if (!located) throw new Error(`the cluster does not serve ${String(manifest.apiVersion)} ${String(manifest.kind)}`);
  const headers = { 'content-type': 'application/json', ...impersonationHeaders(check.as) };
  const res = await ctx.api.send(
    'POST',
    `${located.path}?dryRun=All&fieldManager=lab-grader`,
    JSON.stringify(manifest),
    headers,
  );
  const allowed = res.status >= 200 && res.status < 300;
  const reason = allowed
    ? ''
    : String(
        (() => {
          try {
            return res.json().message ?? res.text;
          } catch {
            return res.text;
          }
        })(),
      );
  if (check.expect === 'denied') {
    if (allowed) return { passed: false, message: message(ctx.locale, 'admission.expectedDenied', { what }) };
    if (check.messageContains && !reason.includes(check.messageContains)) {
      return {
        passed: false,
        message: message(ctx.locale, 'admission.wrongMessage', { what, text: check.messageContains, reason }),
      };
    }
    return { passed: true, message: message(ctx.locale, 'admission.passDenied', { what }) };
  }
  return allowed
    ? { passed: true, message: message(ctx.locale, 'admission.passAllowed', { what }) }
    : { passed: false, message: message(ctx.locale, 'admission.expectedAllowed', { what, reason }) };
};
