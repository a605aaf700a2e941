import { randomUUID } from 'node:crypto';
import type { AdmissionAttributes, AdmissionPlugin, Operation } from './admission.ts';
import type { UserInfo } from '../authentication/user.ts';
import { randomSuffix, sameContent } from '../api/objects.ts';
import { errors, FieldError, StatusError } from '../api/status.ts';
import { rfc3339 } from '../api/time.ts';
import { recordUpdate } from '../patch/managed-fields.ts';
import type { Store } from '../storage/store.ts';
import type { KubeObject } from '../storage/types.ts';
import { validateObjectMeta } from './meta-validation.ts';
import { selectionPredicate, type Selectors } from './selection.ts';
import { groupVersion, storageName, type ResourceDef } from './types.ts';
import { validateAgainstSchema } from './schema-validation.ts';

/** kube-apiserver's NamespaceLifecycle refuses to delete these (metav1.NamespaceDefault, -System, -Public). */
const immortalNamespaces = new Set(['default', 'kube-system', 'kube-public']);

export interface WriteOptions {
  user: UserInfo;
  dryRun: boolean;
  fieldManager: string;
  /** Collects HTTP Warning texts for the response. */
  warnings: string[];
  subresource?: string;
  /** Server-side apply already computed metadata.managedFields. */
  managedFieldsComputed?: boolean;
}

export type ListOptions = Selectors;

/**
 * The generic registry (genericregistry.Store): the create/update/delete flow every
 * resource shares — defaulting, admission, validation, generation, managed fields.
 */
export class Registry {
  private readonly store: Store;
  private readonly admission: AdmissionPlugin[];

  constructor(store: Store, admission: AdmissionPlugin[]) {
    this.store = store;
    this.admission = admission;
  }

  gr(def: ResourceDef) {
    return { group: def.group, resource: def.plural };
  }

  get(def: ResourceDef, namespace: string, name: string): KubeObject {
    const found = this.store.get(storageName(def), def.namespaced ? namespace : '', name);
    if (!found || (def.crd && found.apiVersion !== groupVersion(def))) {
      if (!found) throw errors.notFound(this.gr(def), name);
      found.apiVersion = groupVersion(def);
    }
    return found;
  }

  list(def: ResourceDef, namespace: string | undefined, options: ListOptions = {}): KubeObject[] {
    const items = this.store.list(storageName(def), def.namespaced ? namespace : undefined);
    const selected = selectionPredicate(def, options);
    return items.filter(selected).map((o) => (def.crd ? { ...o, apiVersion: groupVersion(def) } : o));
  }

  private async admit(phase: 'mutate' | 'validate', attributes: AdmissionAttributes): Promise<void> {
    for (const plugin of this.admission) {
      const step = phase === 'mutate' ? plugin.mutate : plugin.validate;
      if (step) await step.call(plugin, attributes);
    }
  }

  private attributes(
    op: Operation,
    def: ResourceDef,
    ns: string,
    name: string,
    options: WriteOptions,
    object?: KubeObject,
    old?: KubeObject,
  ): AdmissionAttributes {
    return {
      operation: op,
      resource: def,
      subresource: options.subresource ?? '',
      namespace: ns,
      name,
      object,
      oldObject: old,
      user: options.user,
      dryRun: options.dryRun,
      warnings: options.warnings,
      onCommit: [],
    };
  }

  private checkNamespace(def: ResourceDef, namespace: string): void {
    if (!def.namespaced) return;
    const ns = this.store.get('namespaces', '', namespace);
    if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw errors.forbiddenRaw(
        `${def.plural}${def.group ? '.' + def.group : ''} "${''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private validate(def: ResourceDef, object: KubeObject, old?: KubeObject, allocate = false): void {
    const errs: FieldError[] = validateObjectMeta(object, def.nameRule ?? 'dns1123Subdomain', def.namespaced);
    if (def.crd?.schema) errs.push(...validateAgainstSchema(object, def.crd.schema));
    errs.push(...(def.strategy.validate?.(object, { old }) ?? []));
    if (old) errs.push(...(def.strategy.onUpdate?.(object, old) ?? []));
    if (old && object.metadata.uid && object.metadata.uid !== old.metadata.uid) {
      errs.push(FieldError.invalid('metadata.uid', object.metadata.uid, 'field is immutable'));
    }
    if (errs.length === 0 && allocate && def.strategy.allocate)
      errs.push(...def.strategy.allocate(object, this.store, old));
    if (errs.length) throw errors.invalid(def.group, def.kind, object.metadata.name ?? '', errs);
  }

  async create(def: ResourceDef, namespace: string, input: KubeObject, options: WriteOptions): Promise<KubeObject> {
    const object = structuredClone(input);
    const meta = object.metadata;
    if (def.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (meta.name) this.checkNamespaceCreate(def, namespace, meta.name);
    // Clear what clients may not set.
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    delete meta.selfLink;
    if (def.strategy.hasStatus) delete object.status;
    def.strategy.defaults?.(object);
    def.strategy.prepareForCreate?.(object, options.user);
    const attrs = this.attributes('CREATE', def, namespace, meta.name ?? '', options, object);
    await this.admit('mutate', attrs);
    this.stampGeneration(def, object);
    this.validate(def, object, undefined, true);
    await this.admit('validate', attrs);
    if (this.store.get(storageName(def), def.namespaced ? namespace : '', meta.name ?? '')) {
      throw errors.alreadyExists(this.gr(def), meta.name ?? '');
    }
    if (!options.managedFieldsComputed) recordUpdate(undefined, object, options.fieldManager, undefined, !def.crd);
    if (options.dryRun) return { ...object, metadata: { ...object.metadata } };
    return this.commit(attrs, this.store.put(storageName(def), object));
  }

  private checkNamespaceCreate(def: ResourceDef, namespace: string, name: string): void {
    try {
      this.checkNamespace(def, namespace);
    } catch (error) {
      if (error instanceof StatusError && error.code === 403) {
        throw errors.forbidden(
          this.gr(def),
          name,
          `unable to create new content in namespace ${namespace} because it is being terminated`,
        );
      }
      throw error;
    }
  }

  private stampGeneration(def: ResourceDef, object: KubeObject, old?: KubeObject): void {
    const fields = def.strategy.generationFields ?? (def.crd ? null : ['spec']);
    if (fields && fields.length === 0) return;
    if (!old) {
      object.metadata.generation = 1;
      return;
    }
    const previous = old.metadata.generation ?? 1;
    let changed: boolean;
    if (fields === null) {
      // Custom resources: any change outside metadata and status bumps the generation.
      const strip = (o: KubeObject) => ({ ...o, metadata: undefined, status: undefined });
      changed = !sameContent(strip(object), strip(old));
    } else {
      changed = fields.some((f) => !sameContent(object[f], old[f]));
    }
    object.metadata.generation = changed ? previous + 1 : previous;
  }

  /**
   * Replaces an object (PUT, and the final step of every patch). `subresource` is
   * "status" for status writes, which keep the spec; main writes keep the status.
   */
  async update(
    def: ResourceDef,
    namespace: string,
    name: string,
    input: KubeObject,
    options: WriteOptions,
    existing?: KubeObject,
  ): Promise<KubeObject> {
    const old = existing ?? this.get(def, namespace, name);
    const subresource = options.subresource ?? '';
    if (input.metadata.name && input.metadata.name !== name) {
      throw errors.badRequest(
        `the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (def.namespaced && input.metadata.namespace && input.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (input.metadata.resourceVersion && input.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw errors.conflict(
        this.gr(def),
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    let object: KubeObject;
    if (subresource === 'status') {
      object = { ...structuredClone(old), status: structuredClone(input.status) };
    } else if (subresource === 'approval') {
      // A CSR's approval subresource writes only the conditions.
      const conditions = structuredClone((input.status as { conditions?: unknown } | undefined)?.conditions);
      object = { ...structuredClone(old), status: { ...(old.status as object), conditions } };
    } else {
      object = structuredClone(input);
      if (def.strategy.prepareForUpdate) object = def.strategy.prepareForUpdate(object, old, subresource);
      if (def.strategy.hasStatus) object.status = structuredClone(old.status);
    }
    const meta = object.metadata;
    meta.name = name;
    if (def.namespaced) meta.namespace = namespace;
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
    // A request that changes managedFields itself (kubectl's client-side to server-side apply
    // migration patches them) is taken as written, as the field manager does.
    const explicitManagedFields =
      !options.managedFieldsComputed &&
      subresource === '' &&
      input.metadata.managedFields !== undefined &&
      !sameContent(input.metadata.managedFields, old.metadata.managedFields);
    meta.managedFields =
      options.managedFieldsComputed || explicitManagedFields
        ? input.metadata.managedFields
        : old.metadata.managedFields;
    if (explicitManagedFields && meta.managedFields?.length === 0) delete meta.managedFields;
    if (meta.managedFields === undefined) delete meta.managedFields;
    meta.generation = old.metadata.generation;
    if (meta.generation === undefined) delete meta.generation;
    if (subresource === '' || subresource === 'ephemeralcontainers') def.strategy.defaults?.(object);
    const attrs = this.attributes('UPDATE', def, namespace, name, options, object, old);
    await this.admit('mutate', attrs);
    this.stampGeneration(def, object, old);
    this.validate(def, object, old, subresource === '');
    await this.admit('validate', attrs);
    if (!options.managedFieldsComputed && !explicitManagedFields)
      recordUpdate(old, object, options.fieldManager, subresource || undefined, !def.crd);
    meta.resourceVersion = old.metadata.resourceVersion;
    if (sameContent(object, old)) return old; // no-op updates do not write
    if (options.dryRun) return object;
    // A deleted object whose last finalizer was removed goes away now.
    if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0) {
      this.store.delete(storageName(def), def.namespaced ? namespace : '', name);
      return object;
    }
    return this.commit(attrs, this.store.put(storageName(def), object));
  }

  async delete(
    def: ResourceDef,
    namespace: string,
    name: string,
    options: WriteOptions,
    preconditions: { uid?: string; resourceVersion?: string } = {},
  ): Promise<KubeObject> {
    const old = this.get(def, namespace, name);
    // NamespaceLifecycle admission: the namespaces the control plane lives in are immortal.
    if (def.plural === 'namespaces' && def.group === '' && immortalNamespaces.has(name))
      throw errors.forbidden(this.gr(def), name, 'this namespace may not be deleted');
    if (preconditions.uid && preconditions.uid !== old.metadata.uid) {
      throw errors.conflict(
        this.gr(def),
        name,
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }
    if (preconditions.resourceVersion && preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw errors.conflict(
        this.gr(def),
        name,
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
      );
    }
    const attrs = this.attributes('DELETE', def, namespace, name, options, undefined, old);
    await this.admit('validate', attrs);
    const finalizers = old.metadata.finalizers ?? [];
    const isNamespace = def.plural === 'namespaces' && def.group === '';
    if (finalizers.length > 0 || isNamespace) {
      if (old.metadata.deletionTimestamp) return old;
      const marked = structuredClone(old);
      marked.metadata.deletionTimestamp = rfc3339();
      marked.metadata.deletionGracePeriodSeconds = 0;
      if (isNamespace) marked.status = { ...(marked.status as object), phase: 'Terminating' };
      if (options.dryRun) return marked;
      return this.store.put(storageName(def), marked);
    }
    if (options.dryRun) return old;
    return this.store.delete(storageName(def), def.namespaced ? namespace : '', name) ?? old;
  }

  private commit(attrs: AdmissionAttributes, stored: KubeObject): KubeObject {
    for (const hook of attrs.onCommit) {
      try {
        hook(stored);
      } catch (error) {
        console.error('embedded cluster: post-commit hook failed', error);
      }
    }
    return stored;
  }

  /** Writes status as a controller would (no admission, no validation). */
  writeStatus(def: ResourceDef, object: KubeObject, status: unknown): KubeObject | undefined {
    const current = this.store.get(storageName(def), object.metadata.namespace ?? '', object.metadata.name ?? '');
    if (!current || current.metadata.uid !== object.metadata.uid) return undefined;
    if (sameContent(current.status, status)) return current;
    return this.store.put(storageName(def), { ...current, status });
  }

  /** Writes a whole object as a controller would, skipping admission. */
  writeObject(def: ResourceDef, object: KubeObject): KubeObject {
    return this.store.put(storageName(def), object);
  }
}
