// Concurrent admission load for reliability tests: `concurrency` reviews in flight at all times
// against a test server, each with a fresh uid and a ?timeout=, each outcome recorded with the
// phase of the test it was sent in; /healthz probed alongside. Connections are kept alive, as
// the API server keeps them to a webhook, so the time measured is the server's, not handshakes'.
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { request } from '../harness/tls.js';
import type { TestServer } from '../harness/server.js';
import type { AdmissionReview, AdmissionReviewResponse } from '../../src/admission/review.js';

export interface LoadReview {
  readonly what: string;
  readonly body: AdmissionReview;
}

export interface Outcome {
  readonly what: string;
  readonly phase: string;
  readonly timeoutMs: number;
  readonly ms: number;
  /** HTTP status, 0 when the request itself failed. */
  readonly status: number;
  readonly error?: string;
  readonly uidMatches: boolean;
  readonly allowed: boolean | undefined;
  readonly warnings: readonly string[];
}

export interface Load {
  /** Names the phase the requests sent from now on belong to. */
  phase(name: string): void;
  /** /healthz statuses seen, 0 for a failed probe. */
  readonly health: number[];
  /** Lets the requests in flight finish and returns every outcome. */
  stop(): Promise<Outcome[]>;
}

export function startLoad(options: {
  server: TestServer;
  reviews: readonly LoadReview[];
  timeoutsMs: readonly number[];
  concurrency: number;
}): Load {
  const { server, reviews, timeoutsMs } = options;
  const outcomes: Outcome[] = [];
  const health: number[] = [];
  let phase = 'start';
  let running = true;
  let sent = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, ca: server.ca });

  const sendOne = async () => {
    const n = sent++;
    const review = reviews[n % reviews.length]!;
    const timeoutMs = timeoutsMs[Math.floor(n / reviews.length) % timeoutsMs.length]!;
    const uid = randomUUID();
    const body = { ...review.body, request: { ...review.body.request, uid } };
    const sentIn = phase;
    const started = performance.now();
    const base = { what: review.what, phase: sentIn, timeoutMs };
    try {
      const res = await request({
        port: server.port,
        ca: server.ca,
        path: `/validate?timeout=${timeoutMs}ms`,
        body: JSON.stringify(body),
        agent,
      });
      const ms = performance.now() - started;
      const response = res.status === 200 ? res.json<AdmissionReviewResponse>().response : undefined;
      outcomes.push({
        ...base,
        ms,
        status: res.status,
        uidMatches: response?.uid === uid,
        allowed: response?.allowed,
        warnings: response?.warnings ?? [],
      });
    } catch (err) {
      const ms = performance.now() - started;
      outcomes.push({
        ...base,
        ms,
        status: 0,
        error: (err as Error).message,
        uidMatches: false,
        allowed: undefined,
        warnings: [],
      });
    }
  };
  const workers = Array.from({ length: options.concurrency }, async () => {
    while (running) await sendOne();
  });
  const prober = (async () => {
    while (running) {
      health.push(
        await server.get('/healthz').then(
          (r) => r.status,
          () => 0,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  return {
    phase: (name) => void (phase = name),
    health,
    async stop() {
      running = false;
      await Promise.all([...workers, prober]);
      agent.destroy();
      return outcomes;
    },
  };
}
