// Why a registry lookup failed, as a closed vocabulary: rules turn these into warnings or
// denials, and only `not-found` means the image is missing (an unreachable registry is not).
export const LookupFailure = {
  notFound: 'not-found',
  unauthorized: 'unauthorized',
  blockedAddress: 'blocked-address',
  timeout: 'timeout',
  unavailable: 'unavailable',
  backingOff: 'backing-off',
  tooLarge: 'too-large',
  badResponse: 'bad-response',
  tooManyRedirects: 'too-many-redirects',
  insecureRefused: 'insecure-refused',
  invalidReference: 'invalid-reference',
  /** Not asked: the review names more images than one review may look up. */
  tooManyImages: 'too-many-images',
} as const;
export type LookupFailure = (typeof LookupFailure)[keyof typeof LookupFailure];

export class RegistryLookupError extends Error {
  constructor(
    readonly failure: LookupFailure,
    message: string,
    /** Seconds the registry asked us to wait (429/503 Retry-After), when it said so. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'RegistryLookupError';
  }
}

/**
 * Any thrown value as a lookup error; aborts become timeouts. What happened leads and the
 * request (`what`, a URL that may carry a 71-character digest) trails: warnings are cut at
 * 256 bytes, and the reason is what the reader needs.
 */
export function asLookupError(err: unknown, what: string): RegistryLookupError {
  if (err instanceof RegistryLookupError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ABORT_ERR') {
    return new RegistryLookupError(LookupFailure.timeout, `no answer within the lookup deadline (${what})`);
  }
  return new RegistryLookupError(
    LookupFailure.unavailable,
    `${e?.code ? `${e.code} ` : ''}${e?.message ?? String(err)} (${what})`,
  );
}
