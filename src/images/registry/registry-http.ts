// Requests to one registry's API with everything a hostile or struggling registry calls for:
// the auth challenge answered once and remembered, redirects followed by hand (at most 3,
// each hop re-checked against the SSRF rules, credentials dropped when the origin changes),
// and 429/5xx answered by resting the host (see backoff.ts).
import { parseChallenge, type Challenge } from './challenge.js';
import { basicHeader, type TokenCache } from './auth.js';
import { CREDENTIALS_HINT, registryKey, type CredentialStore } from './credentials.js';
import type { RegistryHosts } from './host-settings.js';
import type { Resolver } from './guarded-lookup.js';
import type { RegistryBackoff } from './backoff.js';
import { LookupFailure, RegistryLookupError } from './lookup-error.js';
import { exchange, type HttpAnswer } from './transport.js';

export const MAX_REDIRECTS = 3;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

export interface RegistryHttpDeps {
  readonly hosts: RegistryHosts;
  readonly credentials: CredentialStore;
  readonly resolver: Resolver;
  readonly backoff: RegistryBackoff;
  readonly tokens: TokenCache;
  readonly onRequest?: ((method: string, url: URL) => void) | undefined;
}

export interface ApiRequest {
  readonly method: 'GET' | 'HEAD';
  readonly accept?: string;
  readonly maxBytes: number;
  readonly signal: AbortSignal;
  /** Token scope, `repository:library/nginx:pull`. */
  readonly scope: string;
  /** The requester's own credentials (a pod's pull secrets), tried before the server's. */
  readonly credentials?: CredentialStore | undefined;
}

export class RegistryHttp {
  readonly #challenges = new Map<string, Challenge>();
  constructor(private readonly deps: RegistryHttpDeps) {}

  /** `path` starts with `/v2/`; answers with any status but 3xx, 429 and 5xx (those throw). */
  async request(registry: string, path: string, req: ApiRequest): Promise<HttpAnswer> {
    const url = new URL(path, this.deps.hosts.baseUrl(registry));
    const headers: Record<string, string> = req.accept ? { accept: req.accept } : {};
    const known = this.#challenges.get(registry);
    if (known) {
      const auth = await this.#authorize(registry, known, req);
      if (auth) headers.authorization = auth;
    }
    let answer = await this.#follow(url, headers, req.method, req.maxBytes, req.signal);
    if (answer.status !== 401) return answer;

    const challenge = parseChallenge(answer.headers['www-authenticate']);
    if (!challenge) throw unauthorized(registry, 'it sent no challenge this client understands');
    // When a remembered challenge's token was just refused, fetch a new one instead.
    const auth = await this.#authorize(registry, challenge, req, known !== undefined);
    if (!auth) throw unauthorized(registry, 'Basic auth, no credentials for this pod');
    answer = await this.#follow(
      url,
      { ...headers, authorization: auth },
      req.method,
      req.maxBytes,
      req.signal,
    );
    if (answer.status === 401) throw unauthorized(registry, 'it refused the credentials or token');
    // Remembered only once it worked, so later requests skip the 401 round trip.
    this.#challenges.set(registry, challenge);
    return answer;
  }

  async #authorize(
    registry: string,
    challenge: Challenge,
    req: ApiRequest,
    fresh = false,
  ): Promise<string | undefined> {
    const key = registryKey(registry);
    const credential = req.credentials?.get(key) ?? this.deps.credentials.get(key);
    if (challenge.scheme === 'basic') return credential ? basicHeader(credential) : undefined;
    return this.deps.tokens.authorization(
      challenge,
      req.scope,
      credential,
      (url, headers, maxBytes) => this.#follow(url, headers, 'GET', maxBytes, req.signal),
      fresh,
    );
  }

  async #follow(
    start: URL,
    initialHeaders: Record<string, string>,
    method: 'GET' | 'HEAD',
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<HttpAnswer> {
    let url = start;
    let headers = initialHeaders;
    for (let hop = 0; ; hop++) {
      const policy = this.deps.hosts.policyFor(url);
      this.deps.backoff.check(url.origin);
      this.deps.onRequest?.(method, url);
      const answer = await exchange(url, {
        method,
        headers,
        maxBytes,
        signal,
        allowPrivate: policy.allowPrivate,
        resolver: this.deps.resolver,
        ca: policy.ca,
      });
      const location = answer.headers.location;
      if (REDIRECT.has(answer.status) && location) {
        if (hop >= MAX_REDIRECTS) {
          throw new RegistryLookupError(
            LookupFailure.tooManyRedirects,
            `${start.origin} redirected more than ${MAX_REDIRECTS} times; giving up`,
          );
        }
        const next = new URL(location, url);
        // Blob storage behind a redirect never sees the registry's credentials.
        if (next.origin !== url.origin) headers = withoutAuthorization(headers);
        url = next;
        continue;
      }
      if (answer.status === 429 || answer.status >= 500) {
        const retryAfter = header(answer, 'retry-after');
        const pause = this.deps.backoff.strike(url.origin, retryAfter);
        throw new RegistryLookupError(
          LookupFailure.unavailable,
          `${url.origin} answered ${answer.status}; resting it for ${Math.ceil(pause / 1000)} s`,
          Math.ceil(pause / 1000),
        );
      }
      this.deps.backoff.succeed(url.origin);
      return answer;
    }
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const { authorization: _dropped, ...rest } = headers;
  return rest;
}

export function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function unauthorized(registry: string, why: string): RegistryLookupError {
  return new RegistryLookupError(
    LookupFailure.unauthorized,
    `${registry} refused access (${why}); ${CREDENTIALS_HINT}`,
  );
}
