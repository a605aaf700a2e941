import { typeCheckPolicy } from '../admission/validatingadmissionpolicy/type-checking.ts';
import { sameContent } from '../api/objects.ts';
import type { Controller, ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;

/** Writes each ValidatingAdmissionPolicy's status: observedGeneration and type-checking warnings. */
export class ValidatingAdmissionPolicyStatusController implements Controller {
  readonly name = 'validating-admission-policy-status';
  readonly watches = ['validatingadmissionpolicies.admissionregistration.k8s.io'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    const def = this.ctx.catalog.find('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicies');
    if (!def) return;
    for (const policy of this.ctx.store.list('validatingadmissionpolicies.admissionregistration.k8s.io')) {
      const warnings = typeCheckPolicy((policy.spec ?? {}) as Obj, this.ctx.catalog);
      const status: Obj = {
        observedGeneration: policy.metadata.generation ?? 1,
        typeChecking: warnings.length ? { expressionWarnings: warnings } : {},
      };
      if (!sameContent((policy.status ?? {}) as Obj, status)) this.ctx.registry.writeStatus(def, policy, status);
    }
  }
}
