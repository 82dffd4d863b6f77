// Before listing nine kinds, one question the API server answers to anyone: GET /version. Any
// HTTP answer (even 401 or 403) means it is there and the listing errors that follow are worth
// reading; no answer at all is said once, with the server and context, instead of a listing
// error (and an RBAC remedy) per kind.
import { VersionApi } from '@kubernetes/client-node';
import { abortable, DeadlineExceeded, withDeadline } from '../cluster/deadline.js';
import { ErrorCode, HygieneError } from '../errors.js';
import type { AuditCluster } from './audit-kubeconfig.js';

const PROBE_MS = 10_000;

const TLS_TRUST = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** Why no answer came, in words; undefined when the server did answer. */
function noAnswer(err: unknown): string | undefined {
  if (err instanceof DeadlineExceeded) return err.message;
  const e = err as { code?: unknown; message?: string };
  if (typeof e.code === 'number') return undefined; // an HTTP status: the server answered
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'its host name does not resolve';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to it (the connection timed out)';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was closed';
  }
  if (typeof e.code === 'string' && TLS_TRUST.test(e.code))
    return `its TLS certificate is not trusted (${e.code}): check certificate-authority in the kubeconfig`;
  return (e.message ?? String(err)).split('\n')[0];
}

/** Resolves when the API server answers; throws CLUSTER_UNREACHABLE (exit 2) when it does not. */
export async function ensureReachable(cluster: AuditCluster, deadlineMs = PROBE_MS): Promise<void> {
  const version = cluster.kc.makeApiClient(VersionApi);
  try {
    await withDeadline(deadlineMs, (signal) => version.getCode(undefined, abortable(signal)));
  } catch (err) {
    const why = noAnswer(err);
    if (why === undefined) return;
    throw new HygieneError(
      ErrorCode.CLUSTER_UNREACHABLE,
      `cannot reach the API server at ${cluster.server}: ${why}; check the context and its cluster ` +
        `(context "${cluster.context}" from ${cluster.from}: kubectl config get-contexts, --context NAME) ` +
        'and that the API server is running',
    );
  }
}
