// When the managed certificates change, as a pure function of what the Secret holds, the time,
// and how long the API server has trusted the current bundle. One step at a time; the writer
// applies it, publishes the bundle, and asks again on its next round.
//
// A certificate is renewed once two thirds of its life have passed (cert-manager's default), so
// the last third is overlap: the old one still verifies while the new one reaches every replica.
// A CA is replaced in two steps: the new one is first only trusted (added to the bundle the
// webhook configurations carry), and signs only once the API server has held that bundle for a
// while. The old CA stays trusted until it expires, so a replica still serving a certificate it
// signed is never refused.
import { isIP } from 'node:net';
import { CLOCK_SKEW_MS } from './x509.js';
import { issuedBy, type Certificate, type DecodedSecret } from './managed-state.js';

export const RENEW_AT = 2 / 3;
/** A new CA the API server never took signs anyway at this point of the old one's life. */
export const FORCE_PROMOTION_AT = 5 / 6;

export interface Schedule {
  /** How long the API server must have held a bundle with the new CA before that CA signs. */
  readonly settleMs: number;
}

export interface Names {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

export const StepKind = {
  /** Nothing usable in the Secret: a new CA and a serving certificate. */
  create: 'create',
  /** The signing CA is due: a new CA, trusted from now on, signing later. */
  introduceCa: 'introduce-ca',
  /** The new CA signs from now on; the serving certificate is issued by it. */
  promoteCa: 'promote-ca',
  /** A new serving certificate from the signing CA. */
  reissue: 'reissue',
  /** Expired CAs leave the bundle. */
  prune: 'prune',
} as const;
export type StepKind = (typeof StepKind)[keyof typeof StepKind];

export type Step =
  { readonly kind: StepKind; readonly reason: string } | { readonly kind: 'none'; readonly nextAt: number };

export interface Observation {
  readonly now: number;
  /** How long every webhook configuration has held the Secret's bundle, as far as the writer knows. */
  readonly publishedForMs?: number;
}

/** When a certificate was issued (its notBefore is set back by the clock-skew allowance) and ends. */
export function lifetimeOf(cert: Certificate): { issuedAt: number; notAfter: number } {
  const notBefore = Date.parse(cert.x509.validFrom);
  const notAfter = Date.parse(cert.x509.validTo);
  return { issuedAt: Math.min(notBefore + CLOCK_SKEW_MS, notAfter), notAfter };
}

/** The moment `fraction` of a certificate's life has passed. */
export function pointOfLife(cert: Certificate, fraction: number): number {
  const { issuedAt, notAfter } = lifetimeOf(cert);
  return issuedAt + (notAfter - issuedAt) * fraction;
}

export const renewalTime = (cert: Certificate) => pointOfLife(cert, RENEW_AT);

/** The names a certificate is valid for, as `DNS:x` / `IP:y` strings, sorted. */
export function namesOf(cert: Certificate): string[] {
  return (cert.x509.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((n) => n.replace(/^IP Address:/, 'IP:'))
    .sort();
}

export function wantedNames({ dnsNames, ipAddresses }: Names): string[] {
  return [...dnsNames.map((n) => `DNS:${n}`), ...ipAddresses.map((ip) => `IP:${ip}`)].sort();
}

/** Splits host names and IP addresses. */
export function namesFromHosts(hosts: readonly string[]): Names {
  return {
    dnsNames: hosts.filter((h) => isIP(h) === 0),
    ipAddresses: hosts.filter((h) => isIP(h) !== 0),
  };
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export function nextStep(decoded: DecodedSecret, names: Names, schedule: Schedule, seen: Observation): Step {
  const { now } = seen;
  if (decoded.kind === 'empty')
    return { kind: StepKind.create, reason: 'the Secret holds no certificate yet' };
  if (decoded.kind === 'broken')
    return { kind: StepKind.create, reason: `the Secret cannot be used (${decoded.problem})` };
  const { signer, next, serving, trusted } = decoded.state;
  const signerEnds = lifetimeOf(signer).notAfter;
  if (!next && now >= signerEnds) return { kind: StepKind.create, reason: 'the signing CA has expired' };
  if (next) {
    const published = seen.publishedForMs ?? -1;
    if (published >= schedule.settleMs)
      return {
        kind: StepKind.promoteCa,
        reason: `the webhook configurations have trusted the new CA for ${seconds(published)}`,
      };
    if (now >= pointOfLife(signer, FORCE_PROMOTION_AT))
      return {
        kind: StepKind.promoteCa,
        reason: 'the webhook configurations never took the new CA; it signs before the old one expires',
      };
  } else if (now >= renewalTime(signer)) {
    return { kind: StepKind.introduceCa, reason: 'the signing CA is two thirds through its life' };
  }
  if (now >= renewalTime(serving))
    return { kind: StepKind.reissue, reason: 'the serving certificate is two thirds through its life' };
  if (wantedNames(names).join() !== namesOf(serving).join())
    return {
      kind: StepKind.reissue,
      reason: `the serving certificate is not for ${wantedNames(names).join(', ')}`,
    };
  if (!issuedBy(serving, signer))
    return { kind: StepKind.reissue, reason: 'the serving certificate is not from the signing CA' };
  const expired = trusted.filter((c) => lifetimeOf(c).notAfter <= now);
  if (expired.length) return { kind: StepKind.prune, reason: `${expired.length} trusted CA(s) expired` };

  const times = [renewalTime(serving), ...trusted.map((c) => lifetimeOf(c).notAfter)];
  times.push(next ? pointOfLife(signer, FORCE_PROMOTION_AT) : renewalTime(signer));
  return { kind: 'none', nextAt: Math.min(...times) };
}

export interface Timings {
  /** How often every replica reads the Secret, and the writer renews its Lease and checks the webhooks. */
  readonly tickMs: number;
  /** The Lease's duration: a writer that stopped renewing is replaced after this long. */
  readonly leaseMs: number;
  readonly settleMs: number;
  /** Longest pause between rounds while the API server answers with errors. */
  readonly maxBackoffMs: number;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * Intervals follow the serving certificate's validity, so the short lifetimes of tests rotate in
 * seconds, while real ones (90 days) read the Secret every 10 s and hold the Lease for 30 s.
 */
export function timingsFor(certValidityMs: number): Timings {
  const tickMs = clamp(Math.round(certValidityMs / 20), 1000, 10_000);
  return {
    tickMs,
    leaseMs: Math.ceil((3 * tickMs) / 1000) * 1000,
    settleMs: clamp(Math.round(certValidityMs / 10), 2000, 30_000),
    maxBackoffMs: clamp(Math.round(certValidityMs / 10), tickMs, 60_000),
  };
}
