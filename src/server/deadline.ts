// The API server appends `?timeout=10s` (the webhook's timeoutSeconds) to every call and gives up
// after it. Answering inside that time is ours to do: a late answer is no answer, and then
// failurePolicy decides for us.
// https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#timeouts
import { respond } from '../admission/respond.js';
import type { AdmissionReview, AdmissionReviewResponse } from '../admission/review.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 30_000; // the API server's own ceiling for timeoutSeconds
// Time kept back for serialising and the trip back to the API server.
const MARGIN_MS = 250;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

const TIMEOUT = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;

/** `10s`, `500ms`, `1m` → milliseconds; undefined when absent or unreadable (then the default applies). */
export function parseTimeout(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TIMEOUT.exec(value.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 's']! : 0;
  return ms > 0 ? Math.min(ms, MAX_TIMEOUT_MS) : undefined;
}

/** How long the decision may take, out of the caller's timeout. */
export function decisionBudget(timeoutMs: number): number {
  return Math.max(timeoutMs - MARGIN_MS, timeoutMs * 0.8);
}

// Registry lookups stop this long before the decision's deadline, so the rules that asked can
// still answer "not pinned: the registry did not answer in time" instead of the late answer.
const LOOKUP_MARGIN_MS = 150;

/** How long registry lookups of one request may take, in all, inside its decision budget. */
export function lookupBudget(timeoutMs: number): number {
  const decision = decisionBudget(timeoutMs);
  return Math.max(decision - LOOKUP_MARGIN_MS, decision * 0.5);
}

/** Resolves to `work`'s value, or to `late()` once `ms` have passed. */
export function withinDeadline<T>(work: Promise<T>, ms: number, late: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => resolve(late()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * The answer when no decision could be made in time, or the engine itself failed: let the
 * request through and say why, as the DESIGN's failure mode asks (never lock the cluster).
 */
export function uncheckedAnswer(review: AdmissionReview, why: string): AdmissionReviewResponse {
  const { request } = review;
  const response = respond({ uid: request.uid, subject: { kind: request.kind.kind }, findings: [] });
  response.warnings = [`kube-hygiene ${why}; this request was let through unchecked`];
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

export const lateReason = (timeoutMs: number) =>
  `could not finish checking within the ${timeoutMs / 1000}s timeout`;
