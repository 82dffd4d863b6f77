// What a registry client can be told, with the defaults the policy file documents
// (`registryLookup` and `registries` in policies/default.yaml).
import { TokenCache } from './auth.js';
import { RegistryBackoff } from './backoff.js';
import type { CredentialStore } from './credentials.js';
import { systemResolver, type Resolver } from './guarded-lookup.js';
import { RegistryHosts, type RegistryHostSettings } from './host-settings.js';
import type { RegistryHttpDeps } from './registry-http.js';

export interface RegistryClientOptions {
  readonly registries?: Readonly<Record<string, RegistryHostSettings>>;
  /** Budget of one lookup (HEAD + manifest + config), in milliseconds. */
  readonly timeoutMs?: number;
  readonly tagTtlMs?: number;
  readonly negativeTtlMs?: number;
  /** Entries kept in each cache (content by digest, tags, failures). */
  readonly maxCachedContent?: number;
  /** Bytes of manifests and configs kept by digest. */
  readonly maxCachedBytes?: number;
  readonly maxManifestBytes?: number;
  readonly maxConfigBytes?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly credentials?: CredentialStore;
  /** Name resolution; tests inject one to map names to chosen addresses. */
  readonly resolver?: Resolver;
  readonly now?: () => number;
  /** Called before every HTTP request to a registry or token service (metrics, benchmarks). */
  readonly onRequest?: (method: string, url: URL) => void;
}

export const REGISTRY_DEFAULTS = {
  timeoutMs: 1500,
  tagTtlMs: 10 * 60_000,
  negativeTtlMs: 15_000,
  maxCachedContent: 2000,
  maxCachedBytes: 64 * 1024 * 1024,
  maxManifestBytes: 4 * 1024 * 1024,
  maxConfigBytes: 1024 * 1024,
  backoffInitialMs: 1000,
  backoffMaxMs: 60_000,
} as const;

export function clientParts(options: RegistryClientOptions) {
  const settings = {
    timeoutMs: options.timeoutMs ?? REGISTRY_DEFAULTS.timeoutMs,
    tagTtlMs: options.tagTtlMs ?? REGISTRY_DEFAULTS.tagTtlMs,
    negativeTtlMs: options.negativeTtlMs ?? REGISTRY_DEFAULTS.negativeTtlMs,
    maxCachedContent: options.maxCachedContent ?? REGISTRY_DEFAULTS.maxCachedContent,
    maxCachedBytes: options.maxCachedBytes ?? REGISTRY_DEFAULTS.maxCachedBytes,
    maxManifestBytes: options.maxManifestBytes ?? REGISTRY_DEFAULTS.maxManifestBytes,
    maxConfigBytes: options.maxConfigBytes ?? REGISTRY_DEFAULTS.maxConfigBytes,
    now: options.now ?? Date.now,
  };
  const deps: RegistryHttpDeps = {
    hosts: new RegistryHosts(options.registries),
    credentials: options.credentials ?? new Map(),
    resolver: options.resolver ?? systemResolver,
    backoff: new RegistryBackoff(
      {
        initialMs: options.backoffInitialMs ?? REGISTRY_DEFAULTS.backoffInitialMs,
        maxMs: options.backoffMaxMs ?? REGISTRY_DEFAULTS.backoffMaxMs,
      },
      settings.now,
    ),
    tokens: new TokenCache(settings.now),
    onRequest: options.onRequest,
  };
  return { settings, deps };
}
