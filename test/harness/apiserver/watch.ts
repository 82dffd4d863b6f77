// GET ...?watch=true: a chunked stream of one JSON event per line. It replays history after
// the requested resourceVersion, then follows live changes; a resourceVersion older than the
// history answers one ERROR event carrying a 410 Status and ends, as kube-apiserver does.
// https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
import type { IncomingMessage, ServerResponse } from 'node:http';
import { storageKey, type ResourceType } from './catalog.js';
import { EventType, type ChangeEvent, type ObjectStore, type StoredObject } from './store.js';
import { status } from './respond.js';

export interface WatchRequest {
  readonly type: ResourceType;
  readonly apiVersion: string;
  readonly namespace: string | undefined;
  readonly resourceVersion: string;
  readonly timeoutSeconds: number | undefined;
  readonly allowBookmarks: boolean;
}

export interface OpenWatch {
  /** Sends a BOOKMARK (when the client allowed them): nothing changed, resume from here. */
  bookmark(): void;
  /** Cuts the connection without ending the stream, like a load balancer dropping it. */
  drop(): void;
  /**
   * Keeps the connection open but never sends another byte, not even the end at timeoutSeconds:
   * a peer lost behind a network partition. Only the client can notice and give up.
   */
  silence(): void;
}

export function serveWatch(
  store: ObjectStore,
  watch: WatchRequest,
  req: IncomingMessage,
  res: ServerResponse,
): OpenWatch | undefined {
  const key = storageKey(watch.type);
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  // kube-apiserver sends the headers at once; a client then holds the watch before any event.
  res.flushHeaders();
  let silenced = false;
  const write = (type: string, object: unknown) =>
    silenced || res.write(JSON.stringify({ type, object }) + '\n');
  const relevant = (e: ChangeEvent) =>
    e.key === key && (watch.namespace === undefined || e.object.metadata.namespace === watch.namespace);
  const send = (e: ChangeEvent) =>
    write(e.type, { ...e.object, apiVersion: watch.apiVersion, kind: watch.type.kind });

  const rv = watch.resourceVersion;
  if (rv === '' || rv === '0') {
    // No starting point: the current state as ADDED events, then changes.
    for (const object of store.list(watch.type, watch.namespace)) {
      send({ rv: 0, key, type: EventType.ADDED, object: object as StoredObject });
    }
  } else {
    const replay = store.eventsSince(key, Number(rv));
    if (replay === 'gone' || Number.isNaN(Number(rv))) {
      write('ERROR', status(410, `too old resource version: ${rv} (${store.resourceVersion})`));
      res.end();
      return undefined;
    }
    replay.filter(relevant).forEach(send);
  }
  const unsubscribe = store.subscribe((e) => relevant(e) && send(e));
  const timer = watch.timeoutSeconds
    ? setTimeout(() => silenced || res.end(), watch.timeoutSeconds * 1000)
    : undefined;
  timer?.unref();
  const close = () => {
    unsubscribe();
    clearTimeout(timer);
  };
  req.on('close', close);
  res.on('close', close);
  return {
    bookmark: () => {
      if (watch.allowBookmarks) {
        write('BOOKMARK', {
          apiVersion: watch.apiVersion,
          kind: watch.type.kind,
          metadata: { resourceVersion: store.resourceVersion },
        });
      }
    },
    drop: () => res.socket?.destroy(),
    silence: () => void (silenced = true),
  };
}
