// The few metrics an operator alerts on, in a registry of their own (one per server, so tests
// can build several). Labels stay low-cardinality: never object names or images.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestCounter, RequestHistogram } from './request-counts.js';
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

export interface Metrics {
  readonly registry: Registry;
  readonly admissionRequests: RequestCounter<'webhook' | 'kind' | 'operation' | 'decision'>;
  readonly admissionDuration: RequestHistogram<'webhook'>;
  readonly findings: RequestCounter<'rule' | 'action'>;
  readonly registryLookups: RequestCounter<'result'>;
  readonly cacheEntries: Gauge<'cache'>;
  readonly policyInfo: Gauge<'hash'>;
  readonly policyReloads: Counter<'result'>;
  readonly certificateReloads: Counter<'result'>;
  /** Tells the expiry gauge which certificate is serving. */
  setCertificateNotAfter(notAfter: Date): void;
  /** Marks `hash` as the one active policy. */
  setActivePolicy(hash: string): void;
  /** A cache whose sizes (entries per cache name) the cache-entries gauge reads at each scrape. */
  addCacheSource(source: () => Readonly<Record<string, number>>): void;
}

export function createMetrics({ defaultMetrics = true } = {}): Metrics {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let notAfter: Date | undefined;
  const cacheSources: (() => Readonly<Record<string, number>>)[] = [];
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
  return {
    registry,
    admissionRequests: new RequestCounter({
      name: 'kube_hygiene_admission_requests_total',
      help: 'Admission reviews answered, by webhook endpoint, object kind, operation and decision',
      labelNames: ['webhook', 'kind', 'operation', 'decision'] as const,
      registers,
    }),
    admissionDuration: new RequestHistogram({
      name: 'kube_hygiene_admission_duration_seconds',
      help: 'Time from request received to response sent',
      label: 'webhook',
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
    policyReloads: new Counter({
      name: 'kube_hygiene_policy_reloads_total',
      help: 'Policy file reloads, by result (refused: invalid, the last good policy kept serving)',
      labelNames: ['result'] as const,
      registers,
    }),
    certificateReloads: new Counter({
      name: 'kube_hygiene_certificate_reloads_total',
      help: 'Serving certificate reloads, by result (refused: unusable, the old one kept serving)',
      labelNames: ['result'] as const,
      registers,
    }),
    setCertificateNotAfter(date) {
      notAfter = date;
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
