// One review, start to finish: envelope check → engine → response. The server's routes and
// `kube-hygiene review` both call this, so the CLI prints exactly what the server answers.
import { checkReview, type AdmissionReview, type AdmissionReviewResponse } from './review.js';
import { andThen, evaluateRequest, type EngineDeps, type Evaluation } from './evaluate.js';
import { respond } from './respond.js';
import { encodePatch } from './patch.js';
import { ErrorCode } from '../errors.js';
import type { Endpoint } from '../rules/rule.js';

export type ReviewOutcome =
  | {
      readonly statusCode: 200;
      readonly body: AdmissionReviewResponse;
      readonly review: AdmissionReview;
      readonly evaluation: Evaluation;
    }
  | {
      readonly statusCode: 400;
      readonly body: {
        readonly error: { readonly code: string; readonly message: string; readonly details: string[] };
      };
    };

export function malformed(details: string[]): ReviewOutcome {
  return {
    statusCode: 400,
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
  return andThen(evaluateRequest(request, endpoint, deps), (evaluation): ReviewOutcome => {
    const object = request.object ?? request.oldObject;
    const response = respond({
      uid: request.uid,
      subject: {
        kind: request.kind.kind,
        namespace: request.namespace ?? object?.metadata?.namespace,
        name: request.name || object?.metadata?.name || object?.metadata?.generateName,
      },
      findings: evaluation.findings,
      // The API server rejects a validating webhook's answer that carries a patch.
      patch: endpoint === 'mutate' && evaluation.patch?.length ? encodePatch(evaluation.patch) : undefined,
    });
    return {
      statusCode: 200,
      body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response },
      review,
      evaluation,
    };
  });
}
