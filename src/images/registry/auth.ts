// The registry auth flows: Basic with stored credentials, and the Bearer token flow (ask the
// realm for a token for one scope, anonymously or with the registry's credentials). Tokens are
// cached until their `expires_in`. Credentials go only to the registry they belong to and to
// the token realm that registry names in its own challenge; never into a log line.
import type { Challenge } from './challenge.js';
import { CREDENTIALS_HINT, identityOf, type Credential } from './credentials.js';
import { LookupFailure, RegistryLookupError } from './lookup-error.js';
import { TtlCache } from './caches.js';
import type { HttpAnswer } from './transport.js';

// The token spec's default lifetime when a server omits expires_in.
// https://distribution.github.io/distribution/spec/auth/token/#requesting-a-token
const DEFAULT_TOKEN_SECONDS = 60;
// Renew a little early: a token that expires on the way to the registry is a wasted request.
const EXPIRY_MARGIN_MS = 5_000;
const MAX_TOKEN_BYTES = 64 * 1024;

export type FetchRealm = (url: URL, headers: Record<string, string>, maxBytes: number) => Promise<HttpAnswer>;

export function basicHeader(credential: Credential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
}

export class TokenCache {
  readonly #tokens: TtlCache<string>;
  constructor(now: () => number = Date.now) {
    this.#tokens = new TtlCache(1000, now);
  }

  /** A `Bearer …` header value for the challenge's realm, service and scope. */
  async authorization(
    challenge: Challenge,
    scope: string,
    credential: Credential | undefined,
    fetchRealm: FetchRealm,
    /** Skip the cache: the registry just refused the cached token (revoked, or scope changed). */
    fresh = false,
  ): Promise<string> {
    if (!challenge.realm) {
      throw new RegistryLookupError(
        LookupFailure.badResponse,
        'the registry asked for a token but named no realm',
      );
    }
    const realm = new URL(challenge.realm);
    if (challenge.service) realm.searchParams.set('service', challenge.service);
    realm.searchParams.set('scope', scope);
    // Keyed by who asked: a token one password earned is never handed to another password.
    const key = `${realm.href} ${credential ? identityOf(credential) : ''}`;
    const cached = fresh ? undefined : this.#tokens.get(key);
    if (cached) return cached;

    const answer = await fetchRealm(
      realm,
      credential ? { authorization: basicHeader(credential) } : {},
      MAX_TOKEN_BYTES,
    );
    if (answer.status === 401 || answer.status === 403) {
      throw new RegistryLookupError(
        LookupFailure.unauthorized,
        `token service ${realm.host} refused ${credential ? `the credentials of ${credential.username}` : 'anonymous access'} for ${scope}` +
          (credential ? '' : `; ${CREDENTIALS_HINT}`),
      );
    }
    if (answer.status !== 200) {
      throw new RegistryLookupError(
        LookupFailure.badResponse,
        `token service ${realm.host} answered ${answer.status}`,
      );
    }
    const body = parseTokenBody(answer.body, realm.host);
    const header = `Bearer ${body.token}`;
    this.#tokens.set(key, header, body.expiresIn * 1000 - EXPIRY_MARGIN_MS);
    return header;
  }
}

function parseTokenBody(body: Buffer, host: string): { token: string; expiresIn: number } {
  let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    throw new RegistryLookupError(LookupFailure.badResponse, `token service ${host} did not answer JSON`);
  }
  const token = typeof parsed?.token === 'string' ? parsed.token : parsed?.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new RegistryLookupError(
      LookupFailure.badResponse,
      `token service ${host} answered without a token`,
    );
  }
  const expires = Number(parsed.expires_in);
  return { token, expiresIn: Number.isFinite(expires) && expires > 0 ? expires : DEFAULT_TOKEN_SECONDS };
}
