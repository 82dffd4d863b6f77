// A registry that answers 429 or 5xx is left alone for a while instead of being asked again
// by every admission request: a doubling pause (1 s, 2 s, 4 s, …), longer when its Retry-After
// asks for more, never longer than the ceiling (`registryLookup.backoffMaxSeconds`). Retry-After
// is what the registry wants at least (RFC 9110 §10.2.3): `0` or a date in the past does not
// shorten the pause (that would be one request per review), and a day is not obeyed for a day.
// Lookups meanwhile fail at once with `backing-off`; the pause ends on its own.
import { LookupFailure, RegistryLookupError } from './lookup-error.js';

export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
}

interface HostState {
  until: number;
  strikes: number;
}

export class RegistryBackoff {
  readonly #hosts = new Map<string, HostState>();
  constructor(
    private readonly settings: BackoffSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws `backing-off` while the origin is resting. */
  check(origin: string): void {
    const state = this.#hosts.get(origin);
    if (!state) return;
    const left = state.until - this.now();
    if (left <= 0) return;
    throw new RegistryLookupError(
      LookupFailure.backingOff,
      `${origin} answered with errors recently; not asking it again for ${Math.ceil(left / 1000)} s`,
      Math.ceil(left / 1000),
    );
  }

  /** Records an overload answer; returns the pause chosen in milliseconds. */
  strike(origin: string, retryAfter: string | undefined): number {
    const state = this.#hosts.get(origin) ?? { until: 0, strikes: 0 };
    state.strikes += 1;
    const asked = parseRetryAfter(retryAfter, this.now()) ?? 0;
    const doubling = this.settings.initialMs * 2 ** (state.strikes - 1);
    const pause = Math.min(Math.max(asked, doubling), this.settings.maxMs);
    state.until = this.now() + pause;
    this.#hosts.set(origin, state);
    return pause;
  }

  succeed(origin: string): void {
    this.#hosts.delete(origin);
  }
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
