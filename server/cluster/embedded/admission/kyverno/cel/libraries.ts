import type { Environment } from '@marcbachmann/cel-js';
import { celError } from '../../../cel/errors.ts';
import { toCel } from '../../../cel/values.ts';
import { parseImage } from '../variables.ts';

type Obj = Record<string, unknown>;

/** What Kyverno's resource library reads: objects of the cluster (or of a CLI test's context). */
export interface ResourceLookup {
  get(apiVersion: string, resource: string, namespace: string, name: string): Obj | undefined;
  list(apiVersion: string, resource: string, namespace: string): Obj[];
}

/** The `resource` variable: resource.get / resource.list, limited to a namespace for namespaced policies. */
export class ResourceContext {
  readonly lookup: ResourceLookup;
  readonly namespace: string;
  constructor(lookup: ResourceLookup, namespace = '') {
    this.lookup = lookup;
    this.namespace = namespace;
  }
  private scoped(namespace: string): string {
    if (this.namespace && namespace !== this.namespace)
      throw celError(`namespaced policies can only read resources in namespace "${this.namespace}"`);
    return namespace;
  }
  get(apiVersion: string, resource: string, namespace: string, name: string): unknown {
    const found = this.lookup.get(apiVersion, resource, this.scoped(namespace), name);
    if (!found) throw celError(`${resource} "${name}" not found`);
    return toCel(found);
  }
  list(apiVersion: string, resource: string, namespace: string): unknown {
    const items = this.lookup.list(apiVersion, resource, this.scoped(namespace));
    return toCel({ apiVersion: 'v1', kind: 'List', items });
  }
}

/** An image reference as Kyverno's image library reads it. */
export class ImageReference {
  readonly parts: Record<string, string>;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
    this.parts = parseImage(text);
  }
  toString(): string {
    return this.text;
  }
}

const imageRe =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

class ImageNamespace {}

/** Kyverno's CEL extensions for admission: resource lookups and image reference parsing. */
export function registerKyvernoLibraries(env: Environment): void {
  env.registerType('ResourceContext', ResourceContext);
  env.registerFunction(
    'ResourceContext.get(string, string, string, string): dyn',
    (r: ResourceContext, apiVersion: string, resource: string, namespace: string, name: string) =>
      r.get(apiVersion, resource, namespace, name),
  );
  env.registerFunction(
    'ResourceContext.list(string, string, string): dyn',
    (r: ResourceContext, apiVersion: string, resource: string, namespace: string) =>
      r.list(apiVersion, resource, namespace),
  );
  env.registerType('Image', ImageReference);
  env.registerFunction('image(string): Image', (text: string) => {
    if (!imageRe.test(text)) throw celError(`invalid image reference: ${text}`);
    return new ImageReference(text);
  });
  env.registerFunction('isImage(string): bool', (text: string) => imageRe.test(text));
  // Kyverno's image() is go-containerregistry's name.ParseReference: Docker Hub is spelled
  // index.docker.io, and a reference with a digest is a name.Digest, which has no tag.
  env.registerFunction('Image.registry(): string', (i: ImageReference) =>
    i.parts.registry === 'docker.io' ? 'index.docker.io' : i.parts.registry!,
  );
  env.registerFunction('Image.repository(): string', (i: ImageReference) => i.parts.path!);
  env.registerFunction('Image.identifier(): string', (i: ImageReference) =>
    i.parts.digest ? i.parts.digest : i.parts.tag!,
  );
  env.registerFunction('Image.tag(): string', (i: ImageReference) => (i.parts.digest ? '' : i.parts.tag!));
  env.registerFunction('Image.digest(): string', (i: ImageReference) => i.parts.digest!);
  env.registerFunction('Image.containsDigest(): bool', (i: ImageReference) => i.parts.digest !== '');
  env.registerFunction('string(Image): string', (i: ImageReference) => i.text);
  env.registerType('ImageNamespace', ImageNamespace);
  env.registerConstant('image', 'ImageNamespace', new ImageNamespace());
  env.registerFunction('ImageNamespace.GetMetadata(string): dyn', () => {
    throw celError('image.GetMetadata needs a container registry: run this policy on the kind backend');
  });
  // Kyverno's user library
  env.registerFunction('parseServiceAccount(string): map<string, string>', (username: string) => {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
    return new Map([
      ['namespace', m?.[1] ?? ''],
      ['name', m?.[2] ?? ''],
    ]);
  });
}
