// One review, start to finish: envelope check → engine → response. The server's routes and
// `kube-hygiene review` both call this, so the CLI prints exactly what the server answers.
import { checkReview, type AdmissionReview, type AdmissionReviewResponse } from './review.js';
import { andThen, evaluateRequest, type EngineDeps, type Evaluation } from './evaluate.js';
import { respond } from './respond.js';
import { subjectOf, type Subject } from './subject.js';
import { encodePatch } from './patch.js';
import { ErrorCode } from '../errors.js';
import type { Endpoint } from '../rules/rule.js';

/**
 * The engine's answer, or a refusal of a review it cannot use. How either goes over the wire
 * (status codes) is the caller's: the server's route, or `kube-hygiene review`.
 */
export type ReviewOutcome =
  | {
      readonly answered: true;
      readonly body: AdmissionReviewResponse;
      readonly review: AdmissionReview;
      readonly evaluation: Evaluation;
      readonly subject: Subject;
    }
  | { readonly answered: false; readonly body: Refusal };

/** What is wrong with a review, as the body of the refusal. */
export interface Refusal {
  readonly error: { readonly code: string; readonly message: string; readonly details: string[] };
}

export function malformed(details: string[]): ReviewOutcome & { answered: false } {
  return {
    answered: false,
    body: {
      error: {
        code: ErrorCode.REVIEW_MALFORMED,
        message: `not a usable admission.k8s.io/v1 AdmissionReview: ${details.join('; ')}`,
        details,
      },
    },
  };
}

/** Synchronous when the engine is (no rule waited for a lookup); `await` it either way. */
export function handleReview(
  body: unknown,
  endpoint: Endpoint,
  deps: EngineDeps,
): ReviewOutcome | Promise<ReviewOutcome> {
  const problems = checkReview(body);
  if (problems.length) return malformed(problems);
  const review = body as AdmissionReview;
  const { request } = review;
  const subject = subjectOf(request);
  return andThen(evaluateRequest(request, endpoint, deps, subject), (evaluation): ReviewOutcome => {
    const response = respond({
      uid: request.uid,
      subject,
      findings: evaluation.findings,
      // The API server rejects a validating webhook's answer that carries a patch.
      patch: endpoint === 'mutate' && evaluation.patch?.length ? encodePatch(evaluation.patch) : undefined,
    });
    return {
      answered: true,
      body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response },
      review,
      evaluation,
      subject,
    };
  });
}
