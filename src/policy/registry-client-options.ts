// The policy's `registries` and `registryLookup` sections as registry client options. One
// client per loaded policy: its caches and back-off state are shared by every request.
import type { Policy } from './schema.js';
import type { RegistryClientOptions } from '../images/registry/client-options.js';
import { loadDockerConfig } from '../images/registry/credentials.js';
import type { Resolver } from '../images/registry/guarded-lookup.js';

export function registryClientOptions(policy: Policy, resolver?: Resolver): RegistryClientOptions {
  const lookup = policy.registryLookup;
  return {
    registries: policy.registries,
    timeoutMs: lookup.timeoutMs,
    tagTtlMs: lookup.tagTtlSeconds * 1000,
    negativeTtlMs: lookup.negativeTtlSeconds * 1000,
    maxCachedContent: lookup.maxCachedEntries,
    backoffMaxMs: lookup.backoffMaxSeconds * 1000,
    credentials: lookup.dockerConfig ? loadDockerConfig(lookup.dockerConfig) : new Map(),
    ...(resolver ? { resolver } : {}),
  };
}
