// The client's Watch, with two changes: objects are slimmed as they arrive (so the cache never
// holds a full manifest), and every watch asks the server to end it after a few minutes and to
// send bookmarks. A connection that dies silently is then noticed, and resuming costs nothing.
// The response headers must arrive within a deadline: the client's own 30 s timeout is never
// applied (@kubernetes/client-node 1.4 dist/watch.js assigns requestInit.signal twice, the
// second time without the timeout), so a server that accepts and never answers would hold the
// watch, and the cache, forever. For the same reason a stream that stays silent past the
// end the server promised (a peer lost behind a partition, no reset) is given up.
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { SlimObject, Slimmer } from './slim.js';

// kube-apiserver picks a random 5-10 minute timeout when none is asked for; asking keeps it bounded.
const WATCH_TIMEOUT_SECONDS = 300;
const OBJECT_EVENTS = new Set(['ADDED', 'MODIFIED', 'DELETED']);
// The server ends a watch at timeoutSeconds; silence for this much longer means it is gone.
const SILENCE_FACTOR = 1.25;

export interface WatchPacing {
  /** Longest wait for the response headers of a watch. */
  readonly answerWithinMs: number;
  /** timeoutSeconds asked of the server; default 300. */
  readonly watchSeconds?: number;
}

export class SlimmingWatch<T extends SlimObject> extends Watch {
  private stopped = false;
  private readonly watchSeconds: number;

  constructor(
    config: KubeConfig,
    private readonly slim: Slimmer<T>,
    private readonly onEvent: () => void,
    pacing: WatchPacing,
  ) {
    super(withAnswerDeadline(config, pacing.answerWithinMs));
    this.watchSeconds = pacing.watchSeconds ?? WATCH_TIMEOUT_SECONDS;
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
    const params = { timeoutSeconds: this.watchSeconds, allowWatchBookmarks: true, ...queryParams };
    let silence: NodeJS.Timeout | undefined;
    // The timer only fires long after `controller` is set below.
    const listen = () => {
      clearTimeout(silence);
      silence = setTimeout(() => controller.abort(), this.watchSeconds * 1000 * SILENCE_FACTOR);
      silence.unref();
    };
    const controller = await super.watch(
      path,
      params,
      (phase, object: KubernetesObject) => {
        listen();
        this.onEvent();
        callback(phase, OBJECT_EVENTS.has(phase) ? this.slim(object) : object);
      },
      (err) => {
        clearTimeout(silence);
        done(err);
      },
    );
    // Aborting ends the stream with an error, which ListWatch hands to the informer's retry.
    if (this.stopped) controller.abort();
    else listen();
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
