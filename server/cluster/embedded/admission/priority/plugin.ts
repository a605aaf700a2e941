import { errors } from '../../api/status.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';
import {
  defaultPriorityClass,
  highestUserDefinablePriority,
  systemPriorityClasses,
} from '../../registry/resources/scheduling.ts';
import type { Store } from '../../storage/store.ts';

type Obj = Record<string, unknown>;

const priorityClasses = 'priorityclasses.scheduling.k8s.io';

/**
 * Priority admission (plugin/pkg/admission/priority/admission.go): a new pod gets the
 * priority (and preemption policy) of its PriorityClass, or of the global default class; a
 * class it names must exist. PriorityClasses themselves: user values are capped, the system
 * names are reserved, and only one class may be the global default.
 */
export class PriorityAdmission implements AdmissionPlugin {
  readonly name = 'Priority';
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  mutate(a: AdmissionAttributes): void {
    if (a.subresource || a.resource.group !== '' || a.resource.plural !== 'pods' || !a.object) return;
    const spec = (a.object.spec ??= {}) as Obj;
    if (a.operation === 'UPDATE') {
      // An update that leaves them out keeps what admission computed at create.
      const old = (a.oldObject?.spec ?? {}) as Obj;
      if (spec.priority === undefined && old.priority !== undefined) spec.priority = old.priority;
      if (spec.preemptionPolicy === undefined && old.preemptionPolicy !== undefined)
        spec.preemptionPolicy = old.preemptionPolicy;
      return;
    }
    if (a.operation !== 'CREATE') return;
    const forbidden = (message: string) => errors.forbidden({ group: '', resource: 'pods' }, a.name, message);
    let name = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
    let priority = 0;
    let preemptionPolicy: unknown = 'PreemptLowerPriority';
    if (!name) {
      const fallback = defaultPriorityClass(this.store.list(priorityClasses));
      if (fallback) {
        name = fallback.metadata.name ?? '';
        spec.priorityClassName = name;
        priority = Number(fallback.value ?? 0);
        preemptionPolicy = fallback.preemptionPolicy ?? preemptionPolicy;
      }
    } else {
      const pc = this.store.get(priorityClasses, '', name);
      if (!pc) throw forbidden(`no PriorityClass with name ${name} was found`);
      priority = Number(pc.value ?? 0);
      preemptionPolicy = pc.preemptionPolicy ?? preemptionPolicy;
    }
    if (spec.priority !== undefined && spec.priority !== priority)
      throw forbidden(
        `the integer value of priority (${String(spec.priority)}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`,
      );
    spec.priority = priority;
    if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== preemptionPolicy)
      throw forbidden(
        `the string value of PreemptionPolicy (${String(spec.preemptionPolicy)}) must not be provided in pod spec; priority admission controller computed ${String(preemptionPolicy)} from the given PriorityClass name`,
      );
    spec.preemptionPolicy = preemptionPolicy;
  }

  validate(a: AdmissionAttributes): void {
    if (a.subresource || a.resource.group !== 'scheduling.k8s.io' || a.resource.plural !== 'priorityclasses') return;
    if ((a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !a.object) return;
    const pc = a.object;
    const forbidden = (message: string) =>
      errors.forbidden({ group: 'scheduling.k8s.io', resource: 'priorityclasses' }, a.name, message);
    if (Number(pc.value ?? 0) > highestUserDefinablePriority)
      throw forbidden(`maximum allowed value of a user defined priority is ${highestUserDefinablePriority}`);
    if (systemPriorityClasses.some((c) => c.name === pc.metadata.name))
      throw forbidden(`the name of the priority class is a reserved name for system use only: ${pc.metadata.name}`);
    if (pc.globalDefault !== true) return;
    const current = defaultPriorityClass(this.store.list(priorityClasses));
    if (current && (a.operation === 'CREATE' || current.metadata.name !== pc.metadata.name))
      throw forbidden(
        `PriorityClass ${current.metadata.name} is already marked as default. Only one default can exist`,
      );
  }
}
