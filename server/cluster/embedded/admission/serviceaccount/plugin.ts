import { setTimeout as sleep } from 'node:timers/promises';
import { errors } from '../../api/status.ts';
import { randomSuffix } from '../../api/objects.ts';
import type { Store } from '../../storage/store.ts';
import type { KubeObject } from '../../storage/types.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/admission.ts';

type Obj = Record<string, unknown>;

export const defaultServiceAccountName = 'default';
/** Where the token, ca.crt and namespace files appear in every container. */
export const serviceAccountMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The ConfigMap the root CA publisher keeps in every namespace. */
export const rootCaConfigMapName = 'kube-root-ca.crt';
/** The kubelet's projected token lifetime (warn-only bound token expiration, 1h + 7s). */
const projectedTokenSeconds = 3607;
const mirrorPodAnnotation = 'kubernetes.io/config.mirror';

/** The projected kube-api-access-* volume the plugin adds (token, ca.crt and namespace). */
function apiAccessVolume(name: string): Obj {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: projectedTokenSeconds, path: 'token' } },
        { configMap: { name: rootCaConfigMapName, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    },
  };
}

/**
 * The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount): pods without a
 * ServiceAccount run as "default", a pod naming a missing one is rejected, the account's
 * imagePullSecrets are copied, and unless automountServiceAccountToken says otherwise
 * (the pod's setting wins over the account's) every container mounts a kube-api-access
 * projected volume at /var/run/secrets/kubernetes.io/serviceaccount.
 */
export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = 'ServiceAccount';
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  async mutate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || a.subresource || a.resource.group !== '' || a.resource.plural !== 'pods') return;
    const pod = a.object;
    if (!pod) return;
    const spec = (pod.spec ??= {}) as Obj;
    if (pod.metadata.annotations?.[mirrorPodAnnotation] !== undefined) {
      if (spec.serviceAccountName) throw this.forbidden(a, 'a mirror pod may not reference service accounts');
      return;
    }
    if (!spec.serviceAccountName) spec.serviceAccountName = defaultServiceAccountName;
    const saName = String(spec.serviceAccountName);
    const sa = await this.serviceAccount(a.namespace, saName);
    if (!sa) {
      throw this.forbidden(
        a,
        `error looking up service account ${a.namespace}/${saName}: serviceaccount "${saName}" not found`,
      );
    }
    spec.serviceAccount = saName;
    const automount = (spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true) !== false;
    if (automount) this.mountToken(spec);
    const pullSecrets = (sa.imagePullSecrets as Obj[] | undefined) ?? [];
    if (!((spec.imagePullSecrets as Obj[] | undefined) ?? []).length && pullSecrets.length) {
      spec.imagePullSecrets = structuredClone(pullSecrets);
    }
  }

  private forbidden(a: AdmissionAttributes, why: string) {
    // Mutating admission runs before the name is generated, so kube names the generateName.
    const meta = a.object?.metadata;
    const generateName = meta?.generateName;
    const generated =
      generateName && meta?.name?.startsWith(generateName) && meta.name.length === generateName.length + 5;
    const name = generated ? generateName : a.name;
    return errors.forbidden({ group: '', resource: 'pods' }, name, why);
  }

  /** The account; "default" is retried briefly, as its controller may not have made it yet. */
  private async serviceAccount(namespace: string, name: string): Promise<KubeObject | undefined> {
    const attempts = name === defaultServiceAccountName ? 40 : 1;
    for (let i = 0; i < attempts; i++) {
      const found = this.store.get('serviceaccounts', namespace, name);
      if (found) return found;
      if (i + 1 < attempts) await sleep(25);
    }
    return undefined;
  }

  private mountToken(spec: Obj): void {
    const volumes = ((spec.volumes as Obj[] | undefined) ?? []).slice();
    const existing = volumes.find(
      (v) => typeof v.name === 'string' && v.name.startsWith('kube-api-access-') && v.projected,
    );
    const volumeName = existing ? String(existing.name) : `kube-api-access-${randomSuffix()}`;
    let needed = false;
    for (const key of ['initContainers', 'containers']) {
      for (const container of (spec[key] as Obj[] | undefined) ?? []) {
        const mounts = ((container.volumeMounts as Obj[] | undefined) ?? []).slice();
        // A container that mounts something at the token path keeps its own mount.
        if (mounts.some((m) => m.mountPath === serviceAccountMountPath)) continue;
        mounts.push({ name: volumeName, readOnly: true, mountPath: serviceAccountMountPath });
        container.volumeMounts = mounts;
        needed = true;
      }
    }
    if (needed && !existing) {
      volumes.push(apiAccessVolume(volumeName));
      spec.volumes = volumes;
    }
  }
}
