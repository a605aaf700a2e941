import { describe, expect, it } from 'vitest';
import { Store } from '../../server/cluster/embedded/storage/store.ts';
import type { KubeObject } from '../../server/cluster/embedded/storage/types.ts';

// A new version shares the parts that did not change with the version before it (which stays
// in the watch history); every version must still read as it was written.
describe('store versions', () => {
  const pod = (phase: string, image: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image }] },
    status: { phase },
  });

  it('a status update shares the unchanged spec with the previous version, which keeps its own status', () => {
    const store = new Store();
    store.put('pods', pod('Pending', 'nginx:1.27'));
    store.put('pods', pod('Running', 'nginx:1.27'));
    const [added, modified] = store.eventsSince(1);
    expect(added!.object.status).toEqual({ phase: 'Pending' });
    expect(modified!.object.status).toEqual({ phase: 'Running' });
    expect(modified!.object.spec).toBe(added!.object.spec);
    expect(modified!.object.metadata.labels).toBe(added!.object.metadata.labels);
    expect(modified!.object.metadata.resourceVersion).toBe('3');
    expect(added!.object.metadata.resourceVersion).toBe('2');
  });

  it('a changed spec is not shared, and what get returns cannot change a stored version', () => {
    const store = new Store();
    store.put('pods', pod('Running', 'nginx:1.27'));
    store.put('pods', pod('Running', 'nginx:1.28'));
    const got = store.get('pods', 'shop', 'web')!;
    (got.spec as { containers: Array<{ image: string }> }).containers[0]!.image = 'evil';
    const [first, second] = store.eventsSince(1);
    expect(JSON.stringify(first!.object.spec)).toBe('{"containers":[{"name":"web","image":"nginx:1.27"}]}');
    expect(JSON.stringify(second!.object.spec)).toBe('{"containers":[{"name":"web","image":"nginx:1.28"}]}');
    expect(second!.object.status).toBe(first!.object.status);
  });

  it('keeps the key order a write used, even when the values equal the previous version', () => {
    const store = new Store();
    store.put('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: '2' } });
    store.put('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { b: '2', a: '1' } });
    expect(Object.keys(store.get('configmaps', '', 'c')!.data as object)).toEqual(['b', 'a']);
  });

  it('a deletion event carries the last content with its own resourceVersion', () => {
    const store = new Store();
    store.put('pods', pod('Running', 'nginx:1.27'));
    store.delete('pods', 'shop', 'web');
    const [added, deleted] = store.eventsSince(1);
    expect(deleted!.type).toBe('DELETED');
    expect(deleted!.object.metadata.resourceVersion).toBe('3');
    expect(added!.object.metadata.resourceVersion).toBe('2');
    expect(deleted!.object.spec).toEqual(added!.object.spec);
  });

  // The stored copy keeps the caller's strings (they are immutable) but none of its objects.
  it('stores a deep copy: later changes to the written object or to a read copy never reach it', () => {
    const store = new Store();
    const written = pod('Pending', 'nginx:1.27');
    store.put('pods', written);
    (written.spec as { containers: Array<{ image: string }> }).containers[0]!.image = 'evil:latest';
    written.metadata.labels!.app = 'evil';
    const read = store.get('pods', 'shop', 'web')!;
    expect(read.spec).toEqual({ containers: [{ name: 'web', image: 'nginx:1.27' }] });
    expect(read.metadata.labels).toEqual({ app: 'web' });
    read.metadata.labels!.app = 'changed';
    expect(store.get('pods', 'shop', 'web')!.metadata.labels).toEqual({ app: 'web' });
  });

  it('keeps a "__proto__" key of the written JSON as plain data', () => {
    const store = new Store();
    const object = JSON.parse(
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"d"},"data":{"__proto__":"x","a":"b"}}',
    ) as KubeObject;
    store.put('configmaps', object);
    const stored = store.peekObject('configmaps', 'd', 'c')!;
    expect(Object.getPrototypeOf(stored.data)).toBe(Object.prototype);
    expect(Object.keys(stored.data as object)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(store.get('configmaps', 'd', 'c')!.data)).toBe('{"__proto__":"x","a":"b"}');
  });
});
