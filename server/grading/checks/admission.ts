import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { objectRef, subject } from '../../../src/contracts/lab.ts';
import { ResourcePaths } from '../../kube/resources.ts';
import { defineCheck } from '../plugin.ts';

type Obj = Record<string, unknown>;

/** Impersonation headers for a check's identity (one Impersonate-Group header per group). */
export function impersonationHeaders(as: z.infer<typeof subject> | undefined): Record<string, string | string[]> {
  if (!as) return {};
  if ('serviceAccount' in as)
    return { 'impersonate-user': `system:serviceaccount:${as.serviceAccount.namespace}:${as.serviceAccount.name}` };
  const headers: Record<string, string | string[]> = { 'impersonate-user': as.user };
  if (as.groups?.length) headers['impersonate-group'] = as.groups;
  return headers;
}

/** Sends the manifest with server-side dry-run (as the given identity) and compares the outcome; eventually. */
export default defineCheck({
  kind: 'admission',
  schema: z.object({
    kind: z.literal('admission'),
    /** A manifest sent with server-side dry-run: inline or a file in the lab folder. */
    manifest: z.union([objectRef, z.string().min(1)]),
    as: subject.optional(),
    expect: z.enum(['denied', 'allowed']),
    messageContains: z.string().optional(),
    /**
     * `ephemeralcontainers`: instead of creating the manifest, add its spec.ephemeralContainers to
     * the existing pod it names, through the subresource `kubectl debug` uses (dry-run too).
     */
    subresource: z.literal('ephemeralcontainers').optional(),
  }),
  messages: {
    es: {
      expectedDenied: 'El clúster admitió {what}, pero debería rechazarlo.',
      expectedAllowed: 'El clúster rechazó {what}, pero debería admitirlo: {reason}',
      wrongMessage: 'El clúster rechazó {what}, pero el motivo no menciona «{text}»: {reason}',
      passDenied: 'El clúster rechaza {what}, como se espera.',
      passAllowed: 'El clúster admite {what}, como se espera.',
      noTarget: 'No encuentro el pod {what}, al que la comprobación añade un contenedor efímero: {reason}',
    },
    en: {
      expectedDenied: 'The cluster admitted {what}, but it should reject it.',
      expectedAllowed: 'The cluster rejected {what}, but it should admit it: {reason}',
      wrongMessage: 'The cluster rejected {what}, but the reason does not mention "{text}": {reason}',
      passDenied: 'The cluster rejects {what}, as expected.',
      passAllowed: 'The cluster admits {what}, as expected.',
      noTarget: 'The pod {what}, to which the check adds an ephemeral container, was not found: {reason}',
    },
  },
  eventually: true,
  async run(check, ctx, say) {
    const manifest = (
      typeof check.manifest === 'string'
        ? parseYaml(await readFile(join(ctx.labDir, check.manifest), 'utf8'))
        : check.manifest
    ) as Obj;
    const meta = (manifest.metadata ?? {}) as Obj;
    const what =
      `${String(manifest.kind)} ${String(meta.name ?? meta.generateName ?? '')}`.trim() +
      (check.subresource ? `/${check.subresource}` : '');
    const located = await new ResourcePaths(ctx.api).path(
      String(manifest.apiVersion),
      String(manifest.kind),
      meta.namespace as string | undefined,
    );
    if (!located) throw new Error(`the cluster does not serve ${String(manifest.apiVersion)} ${String(manifest.kind)}`);
    const headers = { 'content-type': 'application/json', ...impersonationHeaders(check.as) };
    let res;
    if (check.subresource === 'ephemeralcontainers') {
      const podPath = `${located.path}/${encodeURIComponent(String(meta.name))}`;
      const current = await ctx.api.send('GET', podPath);
      if (current.status !== 200)
        return { passed: false, message: say('noTarget', { what: String(meta.name), reason: current.text.trim() }) };
      const pod = current.json() as { spec?: Obj };
      const added = (((manifest.spec as Obj | undefined)?.ephemeralContainers as unknown[]) ?? []).slice();
      const spec = (pod.spec ??= {});
      spec.ephemeralContainers = [...((spec.ephemeralContainers as unknown[]) ?? []), ...added];
      res = await ctx.api.send(
        'PUT',
        `${podPath}/ephemeralcontainers?dryRun=All&fieldManager=lab-grader`,
        JSON.stringify(pod),
        headers,
      );
    } else {
      res = await ctx.api.send(
        'POST',
        `${located.path}?dryRun=All&fieldManager=lab-grader`,
        JSON.stringify(manifest),
        headers,
      );
    }
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
      if (allowed) return { passed: false, message: say('expectedDenied', { what }) };
      if (check.messageContains && !reason.includes(check.messageContains)) {
        return {
          passed: false,
          message: say('wrongMessage', { what, text: check.messageContains, reason }),
        };
      }
      return { passed: true, message: say('passDenied', { what }) };
    }
    return allowed
      ? { passed: true, message: say('passAllowed', { what }) }
      : { passed: false, message: say('expectedAllowed', { what, reason }) };
  },
});
