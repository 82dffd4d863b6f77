// A changed file that was refused while the last good one keeps serving (a policy with
// mistakes, a certificate whose key does not match): what /readyz and the *_reload_failed
// gauges report until a good file arrives. The log line alone was easy to miss.

export interface RefusedReload {
  /** The file (or certificate and key) refused. */
  readonly file: string;
  /** When, ISO 8601. */
  readonly at: string;
  readonly reason: string;
  /** Each mistake, when there are several (a policy file); at most MAX_ERRORS of them. */
  readonly errors: readonly string[];
}

// /readyz stays small whatever the file holds; the log line has every error.
const MAX_ERRORS = 20;

export function refusedReload(file: string, reason: string, errors: readonly string[] = []): RefusedReload {
  const kept = errors.slice(0, MAX_ERRORS);
  if (errors.length > MAX_ERRORS) kept.push(`… and ${errors.length - MAX_ERRORS} more (see the log)`);
  return { file, at: new Date().toISOString(), reason, errors: kept };
}

/** "serving policy 88a82b95b9fd; refused /etc/…/policy.yaml at 2026-…Z: … (mode: …; …)" */
export function describeRefusal(serving: string, refused: RefusedReload): string {
  const errors = refused.errors.length ? ` (${refused.errors.join('; ')})` : '';
  return `serving ${serving}; refused ${refused.file} at ${refused.at}: ${refused.reason}${errors}`;
}
