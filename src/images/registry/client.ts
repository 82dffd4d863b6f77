// The frugal registry client: a tag is resolved with HEAD (Docker Hub counts manifest GETs
// against its anonymous pull limit, not HEADs), content is fetched by digest, verified, and
// kept without expiry because a digest names its bytes forever. Tag answers live for a TTL,
// failures for a short one, and concurrent askers of one key share one request.
import { createHash } from 'node:crypto';
import type { ImageReference } from '../reference.js';
import { LruCache, SingleFlight, TtlCache } from './caches.js';
import { LookupFailure, RegistryLookupError } from './lookup-error.js';
import { MANIFEST_ACCEPT, manifestMediaType, type MediaType } from './media-types.js';
import { header, RegistryHttp } from './registry-http.js';
import type { HttpAnswer } from './transport.js';
import { clientParts, type RegistryClientOptions } from './client-options.js';
import type { CredentialStore } from './credentials.js';
import type { Deadline } from '../lookup-budget.js';

export interface Manifest {
  readonly digest: string;
  readonly mediaType: MediaType;
  readonly json: unknown;
  /** Bytes of the manifest as served. */
  readonly size: number;
}

export class RegistryClient {
  readonly #http: RegistryHttp;
  readonly #content: LruCache<Manifest | Buffer>;
  readonly #tags: TtlCache<string>;
  readonly #failures: TtlCache<RegistryLookupError>;
  readonly #flights = new SingleFlight<unknown>();
  readonly settings: ReturnType<typeof clientParts>['settings'];

  constructor(options: RegistryClientOptions = {}) {
    const parts = clientParts(options);
    this.settings = parts.settings;
    this.#http = new RegistryHttp(parts.deps);
    this.#content = new LruCache(parts.settings.maxCachedContent, parts.settings.maxCachedBytes, (v) =>
      Buffer.isBuffer(v) ? v.length : v.size,
    );
    this.#tags = new TtlCache(parts.settings.maxCachedContent, parts.settings.now);
    this.#failures = new TtlCache(parts.settings.maxCachedContent, parts.settings.now);
  }

  /** Entries held, for the `kube_hygiene_cache_entries` gauge. */
  cacheEntries(): { content: number; tags: number; failures: number } {
    return { content: this.#content.size, tags: this.#tags.size, failures: this.#failures.size };
  }

  /** Runs `work` once per key at a time, under the per-lookup timeout; failures are remembered briefly. */
  share<T>(key: string, work: (signal: AbortSignal) => Promise<T>, deadline?: Deadline): Promise<T> {
    const failed = this.#failures.get(key);
    if (failed) return Promise.reject(failed);
    // A caller already out of time starts nothing it would not wait for.
    const caller = deadline?.signal;
    if (caller?.aborted) return Promise.reject(outOfTime());
    const shared = this.#flights.run(key, () =>
      work(AbortSignal.timeout(this.settings.timeoutMs)).catch((err: unknown) => {
        if (err instanceof RegistryLookupError) this.#failures.set(key, err, this.settings.negativeTtlMs);
        throw err;
      }),
    ) as Promise<T>;
    return caller ? raceSignal(shared, caller) : shared;
  }

  /** The digest a reference names or its tag pointed at within the tag TTL, without asking. */
  knownDigest(ref: ImageReference): string | undefined {
    return ref.digest ?? this.#tags.get(`${ref.name}:${ref.tag ?? 'latest'}`);
  }

  /** The digest a tag points at now (cached for the tag TTL); a digest reference is its own answer. */
  async resolveDigest(
    ref: ImageReference,
    signal: AbortSignal,
    credentials?: CredentialStore,
  ): Promise<string> {
    if (ref.digest) return ref.digest;
    const tag = ref.tag ?? 'latest';
    const key = `${ref.name}:${tag}`;
    const cached = this.#tags.get(key);
    if (cached) return cached;
    const answer = await this.#http.request(ref.registry, `/v2/${ref.path}/manifests/${tag}`, {
      method: 'HEAD',
      accept: MANIFEST_ACCEPT,
      maxBytes: 0,
      signal,
      scope: scopeOf(ref),
      credentials,
    });
    // 405: a registry (or proxy) without HEAD. Either way, read the manifest once and hash it.
    if (answer.status !== 405) expectFound(answer, `${ref.name}:${tag}`);
    let digest = answer.status === 405 ? undefined : header(answer, 'docker-content-digest');
    if (!digest?.startsWith('sha256:')) {
      digest = (await this.#getManifest(ref, tag, undefined, signal, credentials)).digest;
    }
    this.#tags.set(key, digest, this.settings.tagTtlMs);
    return digest;
  }

  /** Asks whether the registry holds a manifest by digest (HEAD; remembered for the tag TTL). */
  async confirmDigest(
    ref: ImageReference,
    digest: string,
    signal: AbortSignal,
    credentials?: CredentialStore,
  ): Promise<string> {
    const key = `${ref.name}@${digest}`;
    if (this.#content.get(key) || this.#tags.get(key)) return digest;
    const answer = await this.#http.request(ref.registry, `/v2/${ref.path}/manifests/${digest}`, {
      method: 'HEAD',
      accept: MANIFEST_ACCEPT,
      maxBytes: 0,
      signal,
      scope: scopeOf(ref),
      credentials,
    });
    expectFound(answer, key);
    this.#tags.set(key, digest, this.settings.tagTtlMs);
    return digest;
  }

  async manifest(
    ref: ImageReference,
    digest: string,
    signal: AbortSignal,
    credentials?: CredentialStore,
  ): Promise<Manifest> {
    const cached = this.#content.get(`${ref.name}@${digest}`);
    if (cached && !Buffer.isBuffer(cached)) return cached;
    return this.#getManifest(ref, digest, digest, signal, credentials);
  }

  /** A blob by digest (image configs), capped at `maxBytes`. */
  async blob(
    ref: ImageReference,
    digest: string,
    signal: AbortSignal,
    credentials?: CredentialStore,
  ): Promise<Buffer> {
    const key = `${ref.name}@${digest}`;
    const cached = this.#content.get(key);
    if (Buffer.isBuffer(cached)) return cached;
    const answer = await this.#http.request(ref.registry, `/v2/${ref.path}/blobs/${digest}`, {
      method: 'GET',
      maxBytes: this.settings.maxConfigBytes,
      signal,
      scope: scopeOf(ref),
      credentials,
    });
    expectFound(answer, `${ref.name}@${digest}`);
    verifyDigest(answer.body, digest, `blob ${key}`);
    this.#content.set(key, answer.body);
    return answer.body;
  }

  async #getManifest(
    ref: ImageReference,
    reference: string,
    expected: string | undefined,
    signal: AbortSignal,
    credentials: CredentialStore | undefined,
  ): Promise<Manifest> {
    // Named last in each message: reasons lead (warnings are cut at 256 bytes).
    const shown = `${ref.name}${expected ? '@' : ':'}${reference}`;
    const answer = await this.#http.request(ref.registry, `/v2/${ref.path}/manifests/${reference}`, {
      method: 'GET',
      accept: MANIFEST_ACCEPT,
      maxBytes: this.settings.maxManifestBytes,
      signal,
      scope: scopeOf(ref),
      credentials,
    });
    expectFound(answer, shown);
    let json: unknown;
    try {
      json = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new RegistryLookupError(LookupFailure.badResponse, `the manifest is not valid JSON (${shown})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new RegistryLookupError(
        LookupFailure.badResponse,
        `the manifest is not a JSON object (${shown})`,
      );
    }
    const mediaType = manifestMediaType(header(answer, 'content-type'), json);
    if (!mediaType) {
      throw new RegistryLookupError(
        LookupFailure.badResponse,
        `media type "${header(answer, 'content-type') ?? 'none'}" is not an image manifest or index (${shown})`,
      );
    }
    const digest = expected ?? `sha256:${sha256(answer.body)}`;
    if (expected) verifyDigest(answer.body, expected, `manifest ${shown}`);
    const manifest: Manifest = { digest, mediaType, json, size: answer.body.length };
    this.#content.set(`${ref.name}@${digest}`, manifest);
    return manifest;
  }
}

function scopeOf(ref: ImageReference): string {
  return `repository:${ref.path}:pull`;
}

function expectFound(answer: HttpAnswer, shown: string): void {
  if (answer.status === 200) return;
  if (answer.status === 404) {
    throw new RegistryLookupError(LookupFailure.notFound, `${shown} is not in the registry (was it pushed?)`);
  }
  if (answer.status === 401 || answer.status === 403) {
    throw new RegistryLookupError(
      LookupFailure.unauthorized,
      `the registry refused to show ${shown} (${answer.status})`,
    );
  }
  throw new RegistryLookupError(
    LookupFailure.badResponse,
    `the registry answered ${answer.status} for ${shown}`,
  );
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

function verifyDigest(body: Buffer, digest: string, what: string): void {
  // Only sha256 is checked: it is what every registry serves; others are trusted as named.
  if (!digest.startsWith('sha256:') || sha256(body) === digest.slice(7)) return;
  throw new RegistryLookupError(LookupFailure.badResponse, `content does not match its digest (${what})`);
}

/** The shared promise, or the caller's own deadline, whichever comes first. */
function raceSignal<T>(shared: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Others may still share this flight; its outcome is theirs, not an unhandled rejection.
    shared.catch(() => {});
    return Promise.reject(outOfTime());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(outOfTime());
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function outOfTime(): RegistryLookupError {
  return new RegistryLookupError(LookupFailure.timeout, 'the request ran out of time for registry lookups');
}
