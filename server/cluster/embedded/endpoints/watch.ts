import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceDef } from '../registry/types.ts';
import { storageName } from '../registry/types.ts';
import { ResourceVersionTooOldError, type StoredEvent, type Store } from '../storage/store.ts';
import type { KubeObject } from '../storage/types.ts';
import { errors } from '../api/status.ts';

export interface WatchOptions {
  namespace: string | undefined;
  resourceVersion: string;
  timeoutSeconds: number;
  allowBookmarks: boolean;
  /** Filters objects (label and field selectors, a single name). */
  matches: (object: KubeObject) => boolean;
  /** Shapes each event's object (Table rows, apiVersion of the requested version). */
  encode: (object: KubeObject, first: boolean) => unknown;
  /** Objects listed when the watch starts from "0" or "" (synthetic ADDED events). */
  initial: () => KubeObject[];
  bookmarkIntervalMs?: number;
}

/**
 * The event a selective watcher sees (the cacher's convertToWatchEvent): a modification that
 * moves an object into its selection is ADDED, one that moves it out is DELETED, carrying the
 * object as it was, at the event's resourceVersion.
 */
export function selectedEvent(
  event: StoredEvent,
  matches: (object: KubeObject) => boolean,
): { type: StoredEvent['type']; object: KubeObject } | undefined {
  if (event.type !== 'MODIFIED') return matches(event.object) ? event : undefined;
  const now = matches(event.object);
  const before = event.previous ? matches(event.previous) : now;
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: event.object };
  if (!before || !event.previous) return undefined;
  const previous = event.previous;
  return {
    type: 'DELETED',
    object: { ...previous, metadata: { ...previous.metadata, resourceVersion: event.object.metadata.resourceVersion } },
  };
}

/**
 * Streams watch events as newline-delimited JSON, resuming from a resourceVersion.
 * Ends after timeoutSeconds, on client disconnect, or when the cluster stops.
 */
export function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  store: Store,
  def: ResourceDef,
  options: WatchOptions,
  onClose: (stop: () => void) => () => void,
): void {
  const resource = storageName(def);
  const inScope = (event: StoredEvent) =>
    event.resource === resource &&
    (options.namespace === undefined || (event.object.metadata.namespace ?? '') === options.namespace);

  let backlog: StoredEvent[] = [];
  const rv = options.resourceVersion;
  if (rv !== '' && rv !== '0') {
    const since = Number(rv);
    if (!Number.isFinite(since)) throw errors.badRequest(`invalid resource version: ${rv}`);
    try {
      backlog = store.eventsSince(since).filter(inScope);
    } catch (error) {
      if (error instanceof ResourceVersionTooOldError) {
        // kube-apiserver answers 200 and then an ERROR event with a 410 Status.
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.end(JSON.stringify({ type: 'ERROR', object: errors.gone(error.message).status }) + '\n');
        return;
      }
      throw error;
    }
  }

  res.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'no-cache, private',
    'transfer-encoding': 'chunked',
  });
  res.flushHeaders();
  let first = true;
  const send = (type: string, object: KubeObject) => {
    res.write(JSON.stringify({ type, object: options.encode(object, first) }) + '\n');
    first = false;
  };

  if (rv === '' || rv === '0') for (const object of options.initial()) send('ADDED', object);
  const forward = (event: StoredEvent) => {
    const selected = selectedEvent(event, options.matches);
    if (selected) send(selected.type, selected.object);
  };
  for (const event of backlog) forward(event);

  const unsubscribe = store.subscribe((event) => {
    if (inScope(event)) forward(event);
  });
  const bookmark = options.allowBookmarks
    ? setInterval(() => {
        const object = {
          kind: def.kind,
          apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
          metadata: { resourceVersion: String(store.resourceVersion) },
        };
        res.write(JSON.stringify({ type: 'BOOKMARK', object }) + '\n');
      }, options.bookmarkIntervalMs ?? 60_000)
    : undefined;
  const timer = setTimeout(() => stop(), Math.max(1, options.timeoutSeconds) * 1000);

  let stopped = false;
  let unregister = () => {};
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    clearTimeout(timer);
    if (bookmark) clearInterval(bookmark);
    unregister();
    res.end();
  };
  unregister = onClose(stop);
  req.on('close', stop);
  res.on('error', stop);
}
