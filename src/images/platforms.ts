// Which os/architecture/variant an image can run on, asked of its registry. An index or
// manifest list names its children's platforms (attestation entries are not platforms); a
// single manifest says it in its config blob; a legacy schema1 manifest has `architecture`.
// Never throws: every failure comes back as a result that says why, for rules to judge.
import type { ImageReference } from './reference.js';
import { normalizedString } from './reference.js';
import type { Manifest, RegistryClient } from './registry/client.js';
import { asLookupError, LookupFailure, RegistryLookupError } from './registry/lookup-error.js';
import { isIndex, MediaType } from './registry/media-types.js';
import { LruCache } from './registry/caches.js';
import { credentialIdentity, type CredentialStore } from './registry/credentials.js';
import type { Deadline } from './lookup-budget.js';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export type PlatformResult =
  | {
      readonly ok: true;
      readonly image: string;
      readonly digest: string;
      readonly platforms: readonly Platform[];
      /** Answered from the caches, without asking the registry. */
      readonly cached?: true;
    }
  | { readonly ok: false; readonly image: string; readonly failure: LookupFailure; readonly message: string };

/** `linux/arm64/v8`, `windows/amd64`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

// BuildKit stores provenance and SBOMs as index entries with this annotation.
// https://docs.docker.com/build/metadata/attestations/attestation-storage/
const ATTESTATION_ANNOTATION = 'vnd.docker.reference.type';
const IMAGE_CONFIG_TYPES = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

// Platforms by digest never change: each client keeps the answers it found, so a cached
// lookup is two map reads, with no promise chain and no timer.
const answers = new WeakMap<RegistryClient, LruCache<readonly Platform[]>>();

function answersOf(client: RegistryClient): LruCache<readonly Platform[]> {
  let cache = answers.get(client);
  if (!cache) answers.set(client, (cache = new LruCache(client.settings.maxCachedContent)));
  return cache;
}

export async function resolvePlatforms(
  client: RegistryClient,
  ref: ImageReference,
  /** The caller's deadline (its signal is read only if the answer is not cached). */
  deadline?: Deadline,
  /** The requester's own pull credentials, tried before the server's. */
  credentials?: CredentialStore,
): Promise<PlatformResult> {
  const image = normalizedString(ref);
  const cache = answersOf(client);
  const known = client.knownDigest(ref);
  const cached = known && cache.get(`${ref.name}@${known}`);
  if (known && cached) return { ok: true, image, digest: known, platforms: cached, cached: true };
  try {
    // Failures and flights are per credential: a requester with a pull secret never gets the
    // "unauthorized" an anonymous requester just earned.
    const who = credentialIdentity(ref.registry, credentials);
    const found = await client.share(
      `platforms ${image} ${who}`,
      (budget) => lookup(client, ref, budget, credentials),
      deadline,
    );
    cache.set(`${ref.name}@${found.digest}`, found.platforms);
    return { ok: true, image, ...found };
  } catch (err) {
    const e = asLookupError(err, image);
    return { ok: false, image, failure: e.failure, message: e.message };
  }
}

async function lookup(
  client: RegistryClient,
  ref: ImageReference,
  signal: AbortSignal,
  credentials: CredentialStore | undefined,
) {
  const digest = await client.resolveDigest(ref, signal, credentials);
  const manifest = await client.manifest(ref, digest, signal, credentials);
  const platforms = isIndex(manifest.mediaType)
    ? fromIndex(manifest)
    : manifest.mediaType === MediaType.dockerSchema1 || manifest.mediaType === MediaType.dockerSchema1Signed
      ? fromSchema1(manifest)
      : [await fromConfig(client, ref, manifest, signal, credentials)];
  if (platforms.length === 0) throw bad(`${ref.name}@${digest} lists no runnable platform`);
  return { digest, platforms: dedupe(platforms) };
}

interface Descriptor {
  mediaType?: unknown;
  platform?: { os?: unknown; architecture?: unknown; variant?: unknown };
  annotations?: Record<string, unknown>;
}

function fromIndex(manifest: Manifest): Platform[] {
  const entries = (manifest.json as { manifests?: unknown }).manifests;
  if (!Array.isArray(entries)) throw bad(`index ${manifest.digest} has no "manifests" list`);
  const platforms: Platform[] = [];
  for (const entry of entries as Descriptor[]) {
    if (entry?.annotations && ATTESTATION_ANNOTATION in entry.annotations) continue;
    const p = toPlatform(entry?.platform);
    if (!p || p.os === 'unknown' || p.architecture === 'unknown') continue;
    platforms.push(p);
  }
  return platforms;
}

function fromSchema1(manifest: Manifest): Platform[] {
  const architecture = (manifest.json as { architecture?: unknown }).architecture;
  if (typeof architecture !== 'string' || architecture === '') {
    throw bad(`schema1 manifest ${manifest.digest} names no architecture`);
  }
  // schema1 predates Windows images on registries: it is always linux.
  return [{ os: 'linux', architecture }];
}

async function fromConfig(
  client: RegistryClient,
  ref: ImageReference,
  manifest: Manifest,
  signal: AbortSignal,
  credentials: CredentialStore | undefined,
) {
  const config = (manifest.json as { config?: { digest?: unknown; mediaType?: unknown } }).config;
  if (typeof config?.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(config.digest)) {
    throw bad(`manifest ${manifest.digest} has no config digest`);
  }
  if (typeof config.mediaType === 'string' && !IMAGE_CONFIG_TYPES.has(config.mediaType)) {
    throw bad(`${ref.name}@${manifest.digest} is an artifact (${config.mediaType}), not a container image`);
  }
  const blob = await client.blob(ref, config.digest, signal, credentials);
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob.toString('utf8'));
  } catch {
    throw bad(`config ${config.digest} of ${ref.name} is not valid JSON`);
  }
  const platform = toPlatform(parsed);
  if (!platform) throw bad(`config ${config.digest} of ${ref.name} names no os/architecture`);
  return platform;
}

function toPlatform(value: unknown): Platform | undefined {
  const v = value as Descriptor['platform'];
  if (typeof v?.os !== 'string' || typeof v.architecture !== 'string' || !v.os || !v.architecture)
    return undefined;
  return typeof v.variant === 'string' && v.variant !== ''
    ? { os: v.os, architecture: v.architecture, variant: v.variant }
    : { os: v.os, architecture: v.architecture };
}

function dedupe(platforms: Platform[]): Platform[] {
  const seen = new Map(platforms.map((p) => [formatPlatform(p), p]));
  return [...seen.values()];
}

function bad(message: string): RegistryLookupError {
  return new RegistryLookupError(LookupFailure.badResponse, message);
}
