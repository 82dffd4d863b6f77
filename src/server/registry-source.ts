// The registry client the server judges with: built from the active policy's `registries` and
// `registryLookup`, and rebuilt only when those change on a reload (a rule change keeps the
// warm caches). A reload whose registry settings cannot be used (an unreadable caFile or
// dockerConfig) keeps the previous client and says so; lookups are counted per result.
import type { Logger } from 'pino';
import type { CompiledPolicy } from '../policy/compile.js';
import type { Metrics } from '../metrics/metrics.js';
import { RegistryLookups, type LookupResult } from '../images/image-lookup.js';
import { LookupFailure } from '../images/registry/lookup-error.js';
import { RegistryClient } from '../images/registry/client.js';
import { registryClientOptions } from '../policy/registry-client-options.js';
import type { Resolver } from '../images/registry/guarded-lookup.js';

const LOOKUP_RESULTS: readonly LookupResult[] = ['cached', 'ok', ...Object.values(LookupFailure)];

export interface RegistrySource {
  /** The lookups for this policy's registry settings; undefined when none could ever be built. */
  lookupsFor(policy: CompiledPolicy): RegistryLookups | undefined;
}

export interface RegistrySourceOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Name resolution (tests map names to chosen addresses); the OS resolver otherwise. */
  readonly resolver?: Resolver;
}

export function openRegistrySource({ logger, metrics, resolver }: RegistrySourceOptions): RegistrySource {
  let settingsKey: string | undefined;
  let current: RegistryLookups | undefined;
  // Per compiled policy: a request pays one WeakMap read, never a JSON comparison.
  const byPolicy = new WeakMap<CompiledPolicy, RegistryLookups | undefined>();

  const countResult = (result: LookupResult) => metrics.registryLookups.inc({ result });
  // Every result from 0, so the failing-lookups alert sees the first failure of each kind.
  for (const result of LOOKUP_RESULTS) metrics.registryLookups.zero({ result });
  // Cache sizes are read when Prometheus scrapes, not on every lookup (that showed in profiles).
  metrics.addCacheSource((): Record<string, number> => {
    const entries = current?.client.cacheEntries();
    if (!entries) return {};
    const { content, tags, failures } = entries;
    return { 'registry-content': content, 'registry-tags': tags, 'registry-failures': failures };
  });

  const build = (policy: CompiledPolicy): RegistryLookups | undefined => {
    const { registries, registryLookup } = policy.policy;
    const key = JSON.stringify([registries, registryLookup]);
    if (key === settingsKey) return current;
    settingsKey = key;
    try {
      const client = new RegistryClient(registryClientOptions(policy.policy, resolver));
      current = new RegistryLookups(client, countResult);
      logger.info(
        { policy: policy.hash, registries: Object.keys(registries), timeoutMs: registryLookup.timeoutMs },
        'registry client ready',
      );
    } catch (err) {
      logger.error(
        { policy: policy.hash, reason: (err as Error).message },
        current
          ? 'registry settings unusable; the previous registry client keeps serving'
          : 'registry settings unusable; registry rules judge nothing until they are fixed',
      );
    }
    return current;
  };

  return {
    lookupsFor(policy) {
      if (byPolicy.has(policy)) return byPolicy.get(policy);
      const lookups = build(policy);
      byPolicy.set(policy, lookups);
      return lookups;
    },
  };
}
