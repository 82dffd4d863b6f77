// Who a request is about: worked out once per request, and the same in the answer's messages,
// the decision log and the metrics.
import type { AdmissionRequest } from './review.js';

export interface Subject {
  /** Kind of the admitted object (`Deployment`, `Pod`, …). */
  readonly kind: string;
  readonly namespace: string | undefined;
  /** Its name; a Pod stamped by a controller has only a generateName yet. */
  readonly name: string | undefined;
}

export function subjectOf(request: AdmissionRequest): Subject {
  const object = request.object ?? request.oldObject;
  return {
    kind: request.kind.kind,
    namespace: request.namespace ?? object?.metadata?.namespace,
    name: request.name || object?.metadata?.name || object?.metadata?.generateName,
  };
}
