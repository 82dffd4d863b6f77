// The managed mode opened from the settings: the Secret, the Lease and the webhook
// configurations through the cluster connection, the names the certificate is for, and the
// intervals its validity implies; said once in the log.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { MANAGED_LEASE, MANAGED_SECRET } from '../certs/managed-state.js';
import { namesFromHosts, timingsFor } from '../certs/renewal.js';
import { serviceDnsNames } from '../certs/webhook-files.js';
import { leaseApi, secretApi } from '../cluster/certificate-objects.js';
import { loadKubeConfig, type ConnectionSource } from '../cluster/connection.js';
import { LeaderLease } from '../cluster/leader-lease.js';
import { caBundlePublisher, refText } from '../cluster/webhook-ca-bundle.js';
import type { ManagedCertificateSettings } from '../config.js';
import { ErrorCode, HygieneError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { startManagedCertificates, type ManagedCertificates } from './managed-certificates.js';

/** Throws HygieneError(USAGE) without a cluster connection: the mode lives in the cluster. */
export function openManagedCertificates(
  connection: ConnectionSource,
  settings: ManagedCertificateSettings,
  logger: Logger,
  metrics: Metrics,
): ManagedCertificates {
  if (connection.kind === 'none') {
    throw new HygieneError(
      ErrorCode.USAGE,
      `--certificates managed keeps its certificates in the cluster, and there is none: ${connection.reason}; pass --kubeconfig or run in a cluster`,
    );
  }
  const kc = loadKubeConfig(connection);
  const { namespace, service } = settings;
  const names = { namespace, secret: MANAGED_SECRET, lease: MANAGED_LEASE };
  const hosts = namesFromHosts(settings.hosts);
  const timings = timingsFor(settings.certValidityMs);
  // Unique per process: a restarted container must not mistake the Lease of its predecessor for its own.
  const identity = `${hostname()}_${randomBytes(4).toString('hex')}`;
  logger.info(
    {
      secret: `${namespace}/${MANAGED_SECRET}`,
      lease: `${namespace}/${MANAGED_LEASE}`,
      identity,
      webhookConfigurations: settings.webhookConfigurations.map(refText),
      tickMs: timings.tickMs,
    },
    'certificates: managed in the cluster',
  );
  return startManagedCertificates({
    secret: secretApi(kc, names),
    secretName: `${namespace}/${MANAGED_SECRET}`,
    lease: new LeaderLease(leaseApi(kc, names), { identity, durationMs: timings.leaseMs }),
    publish: caBundlePublisher(kc, settings.webhookConfigurations),
    issue: {
      namespace,
      commonName: `${service}.${namespace}.svc`,
      dnsNames: [...serviceDnsNames({ service, namespace }), ...hosts.dnsNames],
      ipAddresses: hosts.ipAddresses,
      certValidityMs: settings.certValidityMs,
      caValidityMs: settings.caValidityMs,
    },
    timings,
    logger,
    metrics,
  });
}
