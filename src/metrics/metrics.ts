// The few metrics an operator alerts on, in a registry of their own (one per server, so tests
// can build several). Labels stay low-cardinality: never object names or images.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestCounter } from './request-counts.js';
import { VERSION } from '../version.js';

// unchecked: let through without a decision (deadline passed, or the engine failed).
// error: refused as malformed (HTTP 4xx), the caller's mistake.
export const Decision = {
  allowed: 'allowed',
  warned: 'warned',
  denied: 'denied',
  unchecked: 'unchecked',
  error: 'error',
} as const;
export type Decision = (typeof Decision)[keyof typeof Decision];

export const ReloadResult = { ok: 'ok', refused: 'refused' } as const;
export type ReloadResult = (typeof ReloadResult)[keyof typeof ReloadResult];

// Why the server closed a client's connection itself (server/connections.ts).
// request-deadline: a request not received in full within its ?timeout=; no-request: nothing
// asked within 10 s of connecting; pipeline-full: over 256 requests pipelined; over-cap: beyond
// --max-connections, closed as accepted; shutdown: idle or still receiving when the server closed.
export const ConnectionClose = {
  requestDeadline: 'request-deadline',
  noRequest: 'no-request',
  pipelineFull: 'pipeline-full',
  overCap: 'over-cap',
  shutdown: 'shutdown',
} as const;
export type ConnectionClose = (typeof ConnectionClose)[keyof typeof ConnectionClose];

export interface Metrics {
  readonly registry: Registry;
  readonly admissionRequests: RequestCounter<'webhook' | 'kind' | 'operation' | 'decision'>;
  readonly admissionDuration: Histogram<'webhook'>;
  readonly findings: RequestCounter<'rule' | 'action'>;
  readonly registryLookups: RequestCounter<'result'>;
  readonly cacheEntries: Gauge<'cache'>;
  readonly policyInfo: Gauge<'hash'>;
  readonly policyReloads: Counter<'result'>;
  readonly certificateReloads: Counter<'result'>;
  /** 1 while the policy file on disk is refused (the last good policy serving), else 0. */
  readonly policyReloadFailed: Gauge;
  /** 1 while the certificate and key on disk are refused (the previous pair serving), else 0. */
  readonly certificateReloadFailed: Gauge;
  readonly connectionsClosed: Counter<'reason'>;
  /** TLS handshakes that failed: a client (the API server) that does not trust the certificate, or gave up. */
  readonly tlsHandshakeFailures: Counter;
  /** Tells the expiry gauge which certificate is serving. */
  setCertificateNotAfter(notAfter: Date): void;
  /** Marks `hash` as the one active policy. */
  setActivePolicy(hash: string): void;
  /** The policy's exceptions, counted at each scrape by state (expiry moves with the clock). */
  setExceptionSource(source: () => Readonly<Record<'active' | 'expired', number>>): void;
  /** A cache whose sizes (entries per cache name) the cache-entries gauge reads at each scrape. */
  addCacheSource(source: () => Readonly<Record<string, number>>): void;
}

export function createMetrics({ defaultMetrics = true } = {}): Metrics {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let notAfter: Date | undefined;
  const cacheSources: (() => Readonly<Record<string, number>>)[] = [];
  let exceptionSource: (() => Readonly<Record<'active' | 'expired', number>>) | undefined;
  // Which release and Node.js serve (value 1): joins any series to a version in a query.
  new Gauge({
    name: 'kube_hygiene_build_info',
    help: 'The running build: kube-hygiene version and Node.js version (value 1)',
    labelNames: ['version', 'node'] as const,
    registers,
  }).set({ version: VERSION, node: process.versions.node }, 1);
  const policyInfo = new Gauge({
    name: 'kube_hygiene_policy_info',
    help: 'The active policy, by content hash (value 1); the same hash /readyz shows',
    labelNames: ['hash'] as const,
    registers,
  });
  new Gauge({
    name: 'kube_hygiene_certificate_expiry_seconds',
    help: 'Seconds until the serving certificate expires (negative: expired)',
    registers,
    collect() {
      if (notAfter) this.set((notAfter.getTime() - Date.now()) / 1000);
    },
  });
  new Gauge({
    name: 'kube_hygiene_policy_exceptions',
    help: "The active policy's exceptions, by state (expired: past their expires day, their findings denied again)",
    labelNames: ['state'] as const,
    registers,
    collect() {
      const counts = exceptionSource?.() ?? { active: 0, expired: 0 };
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });
  const admissionRequests = new RequestCounter({
    name: 'kube_hygiene_admission_requests_total',
    help: 'Admission reviews answered, by webhook endpoint, object kind, operation and decision',
    labelNames: ['webhook', 'kind', 'operation', 'decision'] as const,
    registers,
  });
  // Refusals carry no kind or operation: their series are known, so they start at 0.
  for (const webhook of ['validate', 'mutate'])
    admissionRequests.zero({ webhook, kind: '', operation: '', decision: Decision.error });
  return {
    registry,
    admissionRequests,
    admissionDuration: new Histogram({
      name: 'kube_hygiene_admission_duration_seconds',
      help: 'Time from request received to response sent',
      labelNames: ['webhook'] as const,
      // The API server gives up at timeoutSeconds (5 in deploy/): buckets reach past it.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    findings: new RequestCounter({
      name: 'kube_hygiene_findings_total',
      help: 'Findings reported, by rule id and final action',
      labelNames: ['rule', 'action'] as const,
      registers,
    }),
    // Counted for every image of every request that runs a registry rule, cached answers too.
    registryLookups: new RequestCounter({
      name: 'kube_hygiene_registry_lookups_total',
      help: 'Image registry lookups, by result',
      labelNames: ['result'] as const,
      registers,
    }),
    cacheEntries: new Gauge({
      name: 'kube_hygiene_cache_entries',
      help: 'Entries held by each cache',
      labelNames: ['cache'] as const,
      registers,
      // Read at scrape time: the caches change on every watch event, far more often than scrapes.
      collect() {
        for (const source of cacheSources) {
          for (const [cache, entries] of Object.entries(source())) this.set({ cache }, entries);
        }
      },
    }),
    policyInfo,
    policyReloads: zeroed(
      new Counter({
        name: 'kube_hygiene_policy_reloads_total',
        help: 'Policy file reloads, by result (refused: invalid, the last good policy kept serving)',
        labelNames: ['result'] as const,
        registers,
      }),
      'result',
      Object.values(ReloadResult),
    ),
    certificateReloads: zeroed(
      new Counter({
        name: 'kube_hygiene_certificate_reloads_total',
        help: 'Serving certificate reloads, by result (refused: unusable, the old one kept serving)',
        labelNames: ['result'] as const,
        registers,
      }),
      'result',
      Object.values(ReloadResult),
    ),
    policyReloadFailed: unset(
      new Gauge({
        name: 'kube_hygiene_policy_reload_failed',
        help: '1 while the policy file is refused and the last good policy keeps serving (/readyz says why), else 0',
        registers,
      }),
    ),
    certificateReloadFailed: unset(
      new Gauge({
        name: 'kube_hygiene_certificate_reload_failed',
        help: '1 while the certificate and key files are refused and the previous pair keeps serving (/readyz says why), else 0',
        registers,
      }),
    ),
    connectionsClosed: zeroed(
      new Counter({
        name: 'kube_hygiene_connections_closed_total',
        help: 'Client connections the server closed itself, by reason (a slow or silent client, a pipeline over the cap, over --max-connections, shutdown)',
        labelNames: ['reason'] as const,
        registers,
      }),
      'reason',
      Object.values(ConnectionClose),
    ),
    tlsHandshakeFailures: new Counter({
      name: 'kube_hygiene_tls_handshake_failures_total',
      help: 'TLS handshakes that failed (a caBundle that does not trust the serving certificate shows here)',
      registers,
    }),
    setCertificateNotAfter(date) {
      notAfter = date;
    },
    setExceptionSource(source) {
      exceptionSource = source;
    },
    addCacheSource(source) {
      cacheSources.push(source);
    },
    setActivePolicy(hash) {
      policyInfo.reset();
      policyInfo.set({ hash }, 1);
    },
  };
}

/**
 * Every series of a closed label set, present at 0 from the start: `increase()` and `rate()`
 * need a sample before the first event, or the first event never shows.
 */
function zeroed<L extends string>(counter: Counter<L>, label: L, values: readonly string[]): Counter<L> {
  for (const value of values) counter.inc({ [label]: value } as Record<L, string>, 0);
  return counter;
}

function unset(gauge: Gauge): Gauge {
  gauge.set(0);
  return gauge;
}
