import { autogenConfigs } from '../admission/kyverno/cel/autogen.ts';
import { sameContent } from '../api/objects.ts';
import { rfc3339 } from '../api/time.ts';
import type { Controller, ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;

const kinds = [
  ['validatingpolicies.policies.kyverno.io', 'validatingpolicies'],
  ['namespacedvalidatingpolicies.policies.kyverno.io', 'namespacedvalidatingpolicies'],
  ['imagevalidatingpolicies.policies.kyverno.io', 'imagevalidatingpolicies'],
] as const;

const registryNote =
  'Image signature and attestation verification needs a container registry: this policy is not enforced by the embedded cluster; use the kind backend.';

/**
 * Kyverno's policy status for the CEL policy types: status.conditionStatus (ready, conditions)
 * and status.autogen.configs, the Pod-controller variants Kyverno generates.
 */
export class KyvernoCelPolicyStatusController implements Controller {
  readonly name = 'kyverno-cel-policy-status';
  readonly watches = kinds.map(([resource]) => resource);
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    for (const [resource, plural] of kinds) {
      const def = this.ctx.catalog.find('policies.kyverno.io', 'v1', plural);
      if (!def) continue;
      for (const policy of this.ctx.store.list(resource)) {
        const old = (policy.status ?? {}) as Obj;
        const oldConditions = (((old.conditionStatus as Obj | undefined)?.conditions as Obj[] | undefined) ??
          []) as Obj[];
        const image = plural === 'imagevalidatingpolicies';
        const condition = (type: string, status: boolean, message: string) => {
          const before = oldConditions.find((c) => c.type === type);
          return {
            type,
            status: status ? 'True' : 'False',
            reason: status ? 'Succeeded' : 'Failed',
            message,
            lastTransitionTime:
              before && before.status === (status ? 'True' : 'False') ? before.lastTransitionTime : rfc3339(),
          };
        };
        const conditions = [
          condition('WebhookConfigured', !image, image ? registryNote : 'Webhook configured.'),
          condition('RBACPermissionsGranted', true, 'Policy is ready for reporting.'),
        ];
        const status: Obj = {
          conditionStatus: { ready: !image, conditions, ...(image ? { message: registryNote } : {}) },
          autogen: { configs: image ? {} : autogenConfigs((policy.spec ?? {}) as Obj) },
        };
        if (!sameContent(old, status)) this.ctx.registry.writeStatus(def, policy, status);
      }
    }
  }
}
