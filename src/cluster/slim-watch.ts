// The client's Watch, with two changes: objects are slimmed as they arrive (so the cache never
// holds a full manifest), and every watch asks the server to end it after a few minutes and to
// send bookmarks. A connection that dies silently is then noticed, and resuming costs nothing.
// The response headers must arrive within a deadline: the client's own 30 s timeout is never
// applied (its signal is overwritten), so a server that accepts and never answers would hold
// the watch, and the cache, forever.
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { SlimObject, Slimmer } from './slim.js';

// kube-apiserver picks a random 5-10 minute timeout when none is asked for; asking keeps it bounded.
const WATCH_TIMEOUT_SECONDS = 300;
const OBJECT_EVENTS = new Set(['ADDED', 'MODIFIED', 'DELETED']);

export class SlimmingWatch<T extends SlimObject> extends Watch {
  private stopped = false;

  constructor(
    config: KubeConfig,
    private readonly slim: Slimmer<T>,
    private readonly onEvent: () => void,
    answerWithinMs: number,
  ) {
    super(withAnswerDeadline(config, answerWithinMs));
  }

  /**
   * Ends the watch being opened, if any. ListWatch.stop() aborts only a watch whose response
   * has already arrived; one still connecting would otherwise stay open after the stop.
   */
  stop(): void {
    this.stopped = true;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const params = { timeoutSeconds: WATCH_TIMEOUT_SECONDS, allowWatchBookmarks: true, ...queryParams };
    const controller = await super.watch(
      path,
      params,
      (phase, object: KubernetesObject) => {
        this.onEvent();
        callback(phase, OBJECT_EVENTS.has(phase) ? this.slim(object) : object);
      },
      done,
    );
    if (this.stopped) controller.abort();
    return controller;
  }
}

/**
 * The KubeConfig as Watch uses it (the cluster, and fetch options), with node-fetch's `timeout`
 * added: it bounds the wait for the response headers and then aborts the request; it does not
 * touch a stream that is already flowing.
 */
function withAnswerDeadline(config: KubeConfig, ms: number): KubeConfig {
  const bounded = Object.create(config) as KubeConfig;
  bounded.applyToFetchOptions = async (opts) => ({
    ...(await config.applyToFetchOptions(opts)),
    timeout: ms,
  });
  return bounded;
}
