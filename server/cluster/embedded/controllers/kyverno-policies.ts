import { withAutogenRules } from '../admission/kyverno/autogen.ts';
import { unsupportedRules } from '../admission/kyverno/policy-validation.ts';
import { sameContent } from '../api/objects.ts';
import { rfc3339 } from '../api/time.ts';
import type { Controller, ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;

/** Reports each Kyverno policy's Ready condition, rule counts and autogen rules in its status. */
export class KyvernoPolicyStatusController implements Controller {
  readonly name = 'kyverno-policy-status';
  readonly watches = ['clusterpolicies.kyverno.io', 'policies.kyverno.io'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    for (const [resource, plural] of [
      ['clusterpolicies.kyverno.io', 'clusterpolicies'],
      ['policies.kyverno.io', 'policies'],
    ] as const) {
      const def = this.ctx.catalog.find('kyverno.io', 'v1', plural);
      if (!def) continue;
      for (const policy of this.ctx.store.list(resource)) {
        const rules = (((policy.spec as Obj | undefined)?.rules as Obj[] | undefined) ?? []).filter(Boolean);
        const unsupported = unsupportedRules(policy as unknown as Obj);
        const old = (policy.status ?? {}) as Obj;
        const oldReady = ((old.conditions as Obj[] | undefined) ?? []).find((c) => c.type === 'Ready');
        const ready = unsupported.length === 0;
        const condition = {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: ready ? 'Succeeded' : 'Unsupported',
          message: ready
            ? 'Ready'
            : `rules ${unsupported.join(', ')} are not supported by the embedded cluster; use the kind backend`,
          lastTransitionTime:
            oldReady && oldReady.status === (ready ? 'True' : 'False') ? oldReady.lastTransitionTime : rfc3339(),
        };
        const autogen = withAutogenRules(policy as unknown as Obj).filter((r) => String(r.name).startsWith('autogen-'));
        const status: Obj = {
          conditions: [condition],
          ready,
          rulecount: {
            validate: rules.filter((r) => r.validate).length,
            mutate: rules.filter((r) => r.mutate).length,
            generate: rules.filter((r) => r.generate).length,
            verifyimages: rules.filter((r) => r.verifyImages).length,
          },
          autogen: { rules: autogen },
        };
        if (!sameContent(old, status)) this.ctx.registry.writeStatus(def, policy, status);
      }
    }
  }
}
