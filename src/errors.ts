// The errors users meet, each with a stable code: tests and scripts match codes, never text.
export const ErrorCode = {
  POLICY_INVALID: 'KH_POLICY_INVALID',
  POLICY_UNREADABLE: 'KH_POLICY_UNREADABLE',
  REVIEW_MALFORMED: 'KH_REVIEW_MALFORMED',
  REVIEW_UNSUPPORTED_MEDIA: 'KH_REVIEW_UNSUPPORTED_MEDIA',
  REVIEW_TOO_LARGE: 'KH_REVIEW_TOO_LARGE',
  REQUEST_TIMEOUT: 'KH_REQUEST_TIMEOUT',
  HEADERS_TOO_LARGE: 'KH_HEADERS_TOO_LARGE',
  PIPELINE_FULL: 'KH_PIPELINE_FULL',
  SHUTTING_DOWN: 'KH_SHUTTING_DOWN',
  REVIEW_TOO_COSTLY: 'KH_REVIEW_TOO_COSTLY',
  USAGE: 'KH_USAGE',
  INPUT_UNREADABLE: 'KH_INPUT_UNREADABLE',
  INPUT_INVALID: 'KH_INPUT_INVALID',
  CLUSTER_UNREACHABLE: 'KH_CLUSTER_UNREACHABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class HygieneError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Every problem found, for errors that report more than one (a policy file with five mistakes). */
    readonly details: readonly string[] = [],
  ) {
    super(details.length ? `${message}\n  ${details.join('\n  ')}` : message);
    this.name = 'HygieneError';
  }
}
