import { randomUUID } from 'node:crypto';
import type { ServiceAccountTokens } from '../authentication/service-account-tokens.ts';
import { sameContent } from '../api/objects.ts';
import { rfc3339 } from '../api/time.ts';
import { storageName } from '../registry/types.ts';
import type { KubeObject } from '../storage/types.ts';
import type { Controller, ControllerContext } from './context.ts';

type Obj = Record<string, unknown>;

/** Empties terminating namespaces, then removes them (the namespace lifecycle controller). */
export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  readonly watches = ['namespaces'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    for (const ns of this.ctx.store.list('namespaces')) {
      if (!ns.metadata.deletionTimestamp) continue;
      const name = ns.metadata.name ?? '';
      for (const def of this.ctx.catalog.all()) {
        if (!def.namespaced || def.virtual) continue;
        for (const object of this.ctx.store.list(storageName(def), name)) {
          this.ctx.store.delete(storageName(def), name, object.metadata.name ?? '');
        }
      }
      this.ctx.store.delete('namespaces', '', name);
    }
  }
}

/** Deletes objects whose owners are gone (background propagation). */
export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  readonly watches = ['*'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    const liveUids = new Set<string>();
    const owned: Array<{ resource: string; object: KubeObject }> = [];
    // Stored objects, read only: the collector looks at everything after every change.
    for (const entry of this.ctx.store.all()) {
      liveUids.add(entry.object.metadata.uid ?? '');
      if (entry.object.metadata.ownerReferences?.length) owned.push(entry);
    }
    for (const { resource, object } of owned) {
      const refs = object.metadata.ownerReferences ?? [];
      if (refs.every((r) => !liveUids.has(r.uid))) {
        this.ctx.store.delete(resource, object.metadata.namespace ?? '', object.metadata.name ?? '');
      }
    }
  }
}

/** Every namespace gets a "default" ServiceAccount. */
export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount-controller';
  readonly watches = ['namespaces', 'serviceaccounts'];
  private readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    const def = this.ctx.def('', 'serviceaccounts');
    for (const ns of this.ctx.store.list('namespaces')) {
      if (ns.metadata.deletionTimestamp) continue;
      const namespace = ns.metadata.name ?? '';
      if (this.ctx.store.get('serviceaccounts', namespace, 'default')) continue;
      this.ctx.registry.writeObject(def, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default', namespace, uid: randomUUID(), creationTimestamp: rfc3339() },
      });
    }
  }
}

/** Fills kubernetes.io/service-account-token Secrets with a token, ca.crt and namespace. */
export class TokenSecretController implements Controller {
  readonly name = 'tokens-controller';
  readonly watches = ['secrets', 'serviceaccounts'];
  private readonly ctx: ControllerContext;
  private readonly tokens: ServiceAccountTokens;
  private readonly caPem: string;
  constructor(ctx: ControllerContext, tokens: ServiceAccountTokens, caPem: string) {
    this.ctx = ctx;
    this.tokens = tokens;
    this.caPem = caPem;
  }
  async sync(): Promise<void> {
    const def = this.ctx.def('', 'secrets');
    for (const secret of this.ctx.store.list('secrets')) {
      if (secret.type !== 'kubernetes.io/service-account-token') continue;
      const namespace = secret.metadata.namespace ?? '';
      const saName = secret.metadata.annotations?.['kubernetes.io/service-account.name'] ?? '';
      const sa = this.ctx.store.get('serviceaccounts', namespace, saName);
      const data = (secret.data ?? {}) as Record<string, string>;
      if (!sa) {
        // The token of a deleted ServiceAccount is useless; kube-controller-manager deletes it.
        if (data.token) this.ctx.store.delete('secrets', namespace, secret.metadata.name ?? '');
        continue;
      }
      if (data.token) continue;
      const token = await this.tokens.issueLegacy(sa, secret);
      // The Secret may have changed while the signing key was being made.
      const current = this.ctx.store.get('secrets', namespace, secret.metadata.name ?? '');
      if (
        !current ||
        current.metadata.uid !== secret.metadata.uid ||
        current.metadata.resourceVersion !== secret.metadata.resourceVersion
      )
        continue;
      const annotations = {
        ...(secret.metadata.annotations ?? {}),
        'kubernetes.io/service-account.uid': sa.metadata.uid ?? '',
      };
      this.ctx.registry.writeObject(def, {
        ...secret,
        metadata: { ...secret.metadata, annotations },
        data: {
          ...data,
          'ca.crt': Buffer.from(this.caPem).toString('base64'),
          namespace: Buffer.from(namespace).toString('base64'),
          token: Buffer.from(token).toString('base64'),
        },
      });
    }
  }
}

/** Accepts CRD names, marks them Established and serves their resources. */
export class CrdController implements Controller {
  readonly name = 'apiextensions-controller';
  readonly watches = ['customresourcedefinitions.apiextensions.k8s.io'];
  private readonly ctx: ControllerContext;
  private served = new Map<string, string>();
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }
  sync(): void {
    const def = this.ctx.def('apiextensions.k8s.io', 'customresourcedefinitions');
    const seen = new Set<string>();
    for (const crd of this.ctx.store.list('customresourcedefinitions.apiextensions.k8s.io')) {
      const name = crd.metadata.name ?? '';
      seen.add(name);
      if (crd.metadata.deletionTimestamp) {
        this.removeCustomResources(crd);
        this.ctx.catalog.removeCustomResourceDefinition(name);
        this.served.delete(name);
        this.ctx.store.delete('customresourcedefinitions.apiextensions.k8s.io', '', name);
        continue;
      }
      const signature = `${crd.metadata.uid}@${crd.metadata.generation}`;
      if (this.served.get(name) !== signature) {
        this.ctx.catalog.setCustomResourceDefinition(crd);
        this.served.set(name, signature);
      }
      const spec = (crd.spec ?? {}) as Obj;
      const time = rfc3339();
      const old = (crd.status ?? {}) as Obj;
      const conditionTime = (type: string) =>
        ((old.conditions as Obj[]) ?? []).find((c) => c.type === type)?.lastTransitionTime ?? time;
      const status = {
        conditions: [
          {
            type: 'NamesAccepted',
            status: 'True',
            lastTransitionTime: conditionTime('NamesAccepted'),
            reason: 'NoConflicts',
            message: 'no conflicts found',
          },
          {
            type: 'Established',
            status: 'True',
            lastTransitionTime: conditionTime('Established'),
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
          },
        ],
        acceptedNames: spec.names,
        storedVersions: ((spec.versions as Obj[]) ?? []).filter((v) => v.storage).map((v) => v.name),
      };
      if (!sameContent(old, status)) this.ctx.registry.writeStatus(def, crd, status);
    }
    for (const name of [...this.served.keys()]) {
      if (seen.has(name)) continue;
      this.ctx.catalog.removeCustomResourceDefinition(name);
      this.served.delete(name);
    }
  }

  private removeCustomResources(crd: KubeObject): void {
    const spec = (crd.spec ?? {}) as Obj;
    const resource = `${String((spec.names as Obj)?.plural)}.${String(spec.group)}`;
    for (const object of this.ctx.store.list(resource))
      this.ctx.store.delete(resource, object.metadata.namespace ?? '', object.metadata.name ?? '');
  }
}
