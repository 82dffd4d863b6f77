// Requests that never reach the engine: too large, not JSON, not JSON at all. Each gets the
// same JSON error shape a refused review gets, with a code, never Fastify's default page.
import type { FastifyError } from 'fastify';
import { malformed } from '../admission/handle.js';
import { ErrorCode } from '../errors.js';

export interface ErrorReply {
  readonly statusCode: number;
  readonly body: {
    readonly error: { readonly code: string; readonly message: string; readonly details: string[] };
  };
}

const reply = (statusCode: number, code: ErrorCode, message: string): ErrorReply => ({
  statusCode,
  body: { error: { code, message, details: [message] } },
});

function notReview(detail: string): ErrorReply {
  return { statusCode: 400, body: malformed([detail]).body };
}

export function describeRequestError(
  err: FastifyError,
  bodyLimit: number,
  contentType: string | undefined,
): ErrorReply | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply(
        413,
        ErrorCode.REVIEW_TOO_LARGE,
        `the body is larger than ${bodyLimit} bytes; no AdmissionReview is that large (an UPDATE with object and oldObject stays under it)`,
      );
    case ErrorCode.REVIEW_TOO_COSTLY:
      return reply(
        413,
        ErrorCode.REVIEW_TOO_COSTLY,
        `${err.message}: the review was refused rather than answered late (the webhook's failurePolicy decides); send smaller objects or raise timeoutSeconds`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply(
        415,
        ErrorCode.REVIEW_UNSUPPORTED_MEDIA,
        `send the AdmissionReview as JSON (content-type: application/json), not ${contentType ? JSON.stringify(contentType) : 'no content-type'}`,
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return notReview('the content-length does not match the body sent');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return notReview('the body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return notReview(`the body is not JSON (${err.message})`);
    default:
      // A parser refusing the body without a Fastify code (secure-json-parse, a bad charset).
      return err.statusCode === 400 ? notReview(`the body is not usable JSON (${err.message})`) : undefined;
  }
}
