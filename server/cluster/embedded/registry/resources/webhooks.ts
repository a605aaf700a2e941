import { FieldError } from '../../api/status.ts';
import { ageColumn, asArray } from '../printing.ts';
import { standardVerbs, type ResourceDef, type Strategy } from '../types.ts';

type Obj = Record<string, unknown>;

/**
 * admissionregistration.k8s.io/v1 Validating- and MutatingWebhookConfiguration. They are
 * stored and validated, but never called: no webhook server can run beside the embedded
 * cluster (use the kind backend for webhooks).
 */

const sideEffects = ['None', 'NoneOnDryRun'];
const failurePolicies = ['Fail', 'Ignore'];

function webhookStrategy(): Strategy {
  return {
    generationFields: ['webhooks'],
    defaults(config) {
      for (const hook of asArray(config.webhooks)) {
        hook.failurePolicy ??= 'Fail';
        hook.matchPolicy ??= 'Equivalent';
        hook.namespaceSelector ??= {};
        hook.objectSelector ??= {};
        hook.timeoutSeconds ??= 10;
        if (config.kind === 'MutatingWebhookConfiguration') hook.reinvocationPolicy ??= 'Never';
        for (const rule of asArray(hook.rules)) rule.scope ??= '*';
        const service = (hook.clientConfig as Obj | undefined)?.service as Obj | undefined;
        if (service) service.port ??= 443;
      }
    },
    // pkg/apis/admissionregistration/validation/validation.go (the fields learners get wrong).
    validate(config) {
      const errs: FieldError[] = [];
      const names = new Set<string>();
      asArray(config.webhooks).forEach((hook, i) => {
        const path = `webhooks[${i}]`;
        const name = hook.name;
        if (typeof name !== 'string' || name === '') errs.push(FieldError.required(`${path}.name`, ''));
        else if (names.has(name)) errs.push(FieldError.duplicate(`${path}.name`, name));
        else names.add(name);
        if (hook.sideEffects === undefined)
          errs.push(FieldError.required(`${path}.sideEffects`, `must specify one of ${sideEffects.join(', ')}`));
        else if (!sideEffects.includes(String(hook.sideEffects)))
          errs.push(FieldError.notSupported(`${path}.sideEffects`, hook.sideEffects, sideEffects));
        if (!Array.isArray(hook.admissionReviewVersions) || hook.admissionReviewVersions.length === 0)
          errs.push(FieldError.required(`${path}.admissionReviewVersions`, 'must specify one of v1, v1beta1'));
        if (!failurePolicies.includes(String(hook.failurePolicy)))
          errs.push(FieldError.notSupported(`${path}.failurePolicy`, hook.failurePolicy, failurePolicies));
        const client = (hook.clientConfig ?? {}) as Obj;
        if ((client.url === undefined) === (client.service === undefined))
          errs.push(FieldError.required(`${path}.clientConfig`, 'exactly one of url or service is required'));
      });
      return errs;
    },
    columns: [
      {
        name: 'Webhooks',
        type: 'integer',
        description: 'Webhooks indicates the number of webhooks registered in this configuration',
        priority: 0,
        cell: (o) => asArray(o.webhooks).length,
      },
      ageColumn,
    ],
  };
}

export const validatingwebhookconfigurations: ResourceDef = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  kind: 'ValidatingWebhookConfiguration',
  plural: 'validatingwebhookconfigurations',
  singular: 'validatingwebhookconfiguration',
  listKind: 'ValidatingWebhookConfigurationList',
  namespaced: false,
  categories: ['api-extensions'],
  verbs: standardVerbs,
  strategy: webhookStrategy(),
};

export const mutatingwebhookconfigurations: ResourceDef = {
  ...validatingwebhookconfigurations,
  kind: 'MutatingWebhookConfiguration',
  plural: 'mutatingwebhookconfigurations',
  singular: 'mutatingwebhookconfiguration',
  listKind: 'MutatingWebhookConfigurationList',
  strategy: webhookStrategy(),
};

export const webhookResources: ResourceDef[] = [mutatingwebhookconfigurations, validatingwebhookconfigurations];
