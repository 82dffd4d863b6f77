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

/** Any thrown value as a lookup error; aborts become timeouts. */
export function asLookupError(err: unknown, what: string): RegistryLookupError {
  if (err instanceof RegistryLookupError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ABORT_ERR') {
    return new RegistryLookupError(LookupFailure.timeout, `${what}: no answer within the lookup deadline`);
  }
  return new RegistryLookupError(
    LookupFailure.unavailable,
    `${what}: ${e?.code ? `${e.code} ` : ''}${e?.message ?? String(err)}`,
  );
}
