// One resource kept in memory with the client's ListWatch (what makeInformer builds): list,
// then watch from the list's resourceVersion; a watch that ends is resumed from the last
// version seen, and 410 Gone lists again (both inside ListWatch). What ListWatch leaves to its
// caller is an error (API down, 403): we start it again with capped, jittered backoff. Neither
// the client's list nor its watch gives up on a server that accepts and never answers, so each
// list page and each watch start runs under a deadline: without one, an informer that called
// into a hung API server stays stuck after the server recovers, and its cache goes stale.
import {
  ListWatch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { SlimmingWatch } from './slim-watch.js';
import type { SlimObject, Slimmer } from './slim.js';
import { withDeadline } from './deadline.js';

export interface CachedResource<T extends SlimObject> {
  readonly name: string;
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
  /** True once a list has succeeded. */
  readonly synced: boolean;
  /** The last error, until the next successful list or event. */
  readonly lastError: string | undefined;
  /** Resolves at the first successful list. */
  readonly firstSync: Promise<void>;
  stop(): Promise<void>;
}

export interface InformerOptions<T extends SlimObject> {
  /** What the resource is called in messages (`deployments`). */
  readonly name: string;
  /** API path to watch, e.g. /apis/apps/v1/deployments. */
  readonly path: string;
  /** One page of the list; called until the server stops sending a continue token. Honour `signal`. */
  readonly list: (page: ListPage, signal: AbortSignal) => Promise<KubernetesListObject<KubernetesObject>>;
  readonly slim: Slimmer<T>;
  readonly retry?: InformerPacing;
}

/** Backoff between attempts, and how long each request may take. */
export interface InformerPacing {
  readonly firstMs: number;
  readonly maxMs: number;
  /** Longest one list page, or the start of a watch, may take before it is abandoned and retried. */
  readonly requestMs?: number;
  /** How long the server is asked to keep a watch open (timeoutSeconds); default 300. */
  readonly watchSeconds?: number;
}

export interface ListPage {
  readonly limit: number;
  readonly _continue?: string;
}

// Pages keep the full objects of one page in memory at a time, never the whole list: with
// 50,000 Deployments an unpaged list is ~150 MiB of JSON-derived objects before slimming.
const PAGE_SIZE = 500;
// Generous for a page of 500 objects on a busy API server, short enough that a hung one is
// noticed within the first retry.
const REQUEST_DEADLINE_MS = 30_000;

export function describeApiError(err: unknown): string {
  const e = err as { code?: unknown; statusCode?: unknown; message?: string };
  const status =
    typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined) return `the API server answered ${status}`;
  return (e.message ?? String(err)).split('\n')[0] ?? 'unknown error';
}

export function startInformer<T extends SlimObject>(
  kc: KubeConfig,
  options: InformerOptions<T>,
): CachedResource<T> {
  const {
    firstMs = 500,
    maxMs = 30_000,
    requestMs = REQUEST_DEADLINE_MS,
    watchSeconds,
  } = options.retry ?? {};
  let synced = false;
  let stopped = false;
  let failures = 0;
  let lastError: string | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let markSynced: () => void = () => undefined;
  const firstSync = new Promise<void>((resolve) => (markSynced = resolve));
  const healthy = () => {
    failures = 0;
    lastError = undefined;
  };

  const listSlim = async (): Promise<KubernetesListObject<T>> => {
    const items: T[] = [];
    const listPage = (p: ListPage) => withDeadline(requestMs, (signal) => options.list(p, signal));
    let page = await listPage({ limit: PAGE_SIZE });
    items.push(...page.items.map(options.slim));
    while (page.metadata?._continue) {
      page = await listPage({ limit: PAGE_SIZE, _continue: page.metadata._continue });
      items.push(...page.items.map(options.slim));
    }
    healthy();
    // ListWatch stores the items after this promise settles; setImmediate runs after that.
    setImmediate(() => {
      synced = true;
      markSynced();
    });
    // Every page belongs to the snapshot of the first; the last one carries its resourceVersion.
    return { ...page, items };
  };
  const watch = new SlimmingWatch(kc, options.slim, healthy, { answerWithinMs: requestMs, watchSeconds });
  const informer = new ListWatch<T>(options.path, watch, listSlim, false);
  const retry = (err: unknown) => {
    lastError = describeApiError(err);
    if (stopped) return;
    const delay = Math.min(maxMs, firstMs * 2 ** failures++) * (0.5 + Math.random() / 2);
    retryTimer = setTimeout(run, delay);
  };
  const run = () => void informer.start().catch(retry);
  informer.on('error', retry);
  run();

  return {
    name: options.name,
    get: (name, namespace) => informer.get(name, namespace),
    list: (namespace) => informer.list(namespace),
    get synced() {
      return synced;
    },
    get lastError() {
      return lastError;
    },
    firstSync,
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      watch.stop();
      await informer.stop();
    },
  };
}
