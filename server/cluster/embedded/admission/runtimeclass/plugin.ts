import { errors } from '../../api/status.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';
import type { Store } from '../../storage/store.ts';
import { defaultStorageClass } from '../../registry/resources/policy.ts';

type Obj = Record<string, unknown>;

/**
 * RuntimeClass admission (plugin/pkg/admission/runtimeclass): a pod's runtimeClassName must
 * name an existing RuntimeClass, whose podFixed overhead the pod takes on. DefaultStorageClass
 * (plugin/pkg/admission/storage/storageclass/setdefault) lives here too: claims that name no
 * class get the default one.
 */
export class RuntimeClassAdmission implements AdmissionPlugin {
  readonly name = 'RuntimeClass';
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  mutate(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.group !== '' || !a.object) return;
    if (a.resource.plural === 'persistentvolumeclaims') {
      const spec = (a.object.spec ??= {}) as Obj;
      if (spec.storageClassName === undefined) {
        const name = defaultStorageClass(this.store.list('storageclasses.storage.k8s.io'));
        if (name) spec.storageClassName = name;
      }
      return;
    }
    if (a.resource.plural !== 'pods') return;
    const spec = (a.object.spec ?? {}) as Obj;
    const name = spec.runtimeClassName;
    if (typeof name !== 'string' || name === '') return;
    const rc = this.store.get('runtimeclasses.node.k8s.io', '', name);
    if (!rc)
      throw errors.forbidden({ group: '', resource: 'pods' }, a.name, `pod rejected: RuntimeClass "${name}" not found`);
    const podFixed = (rc.overhead as Obj | undefined)?.podFixed;
    if (podFixed) {
      if (spec.overhead && JSON.stringify(spec.overhead) !== JSON.stringify(podFixed))
        throw errors.forbidden(
          { group: '', resource: 'pods' },
          a.name,
          "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead",
        );
      spec.overhead = structuredClone(podFixed);
    }
  }
}
