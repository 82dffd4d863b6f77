// The server's side of the cluster: the view the cluster-backed rules read and the pods'
// pull-secret credentials, opened from a connection source and said once in the log, or
// nothing without a connection. Never waits for the API server: readiness does that, bounded.
import type { Logger } from 'pino';
import type { ConnectionSource } from '../cluster/connection-source.js';
import { clusterRuleNotices } from '../policy/cluster-notices.js';
import type { PullSecretReader } from '../cluster/pull-secrets.js';
import type { ClusterView, ClusterViewOptions } from '../cluster/view.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PolicySource } from './policy-store.js';
import type { ReadinessCheck } from './readiness.js';

export interface ConnectedCluster {
  readonly view: ClusterView;
  readonly pullSecrets: PullSecretReader | undefined;
}

export interface ClusterSourceDeps {
  readonly policy: PolicySource;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly viewOptions?: ClusterViewOptions;
}

/** Rejects with HygieneError(USAGE) when a named kubeconfig cannot be used. */
export async function openClusterSource(
  source: ConnectionSource,
  { policy, logger, metrics, viewOptions }: ClusterSourceDeps,
): Promise<ConnectedCluster | undefined> {
  if (source.kind === 'none') {
    for (const notice of clusterRuleNotices(policy.current(), source))
      logger.warn({ cluster: 'none' }, notice);
    return undefined;
  }
  // The Kubernetes client is loaded here, only with a cluster to connect to: it alone would
  // add about 77 MB to the resident size of a server that has none.
  const { openCluster } = await import('../policy/open-cluster.js');
  // Pull secrets follow the live policy, so a reload can turn them off or on.
  const { view, pullSecrets } = openCluster(source, policy.current(), viewOptions, {
    enabled: () => policy.current().policy.registryLookup.pullSecrets,
  });
  if (!view) return undefined;
  const where = source.kind === 'kubeconfig' ? source.path : 'the in-cluster service account';
  logger.info(
    { cluster: source.kind, ...(source.kind === 'kubeconfig' && { kubeconfig: where }) },
    `cluster view: ${where}`,
  );
  metrics.addCacheSource(() => view.cacheEntries());
  return { view, pullSecrets };
}

/** /readyz waits for the first list of every cache, up to the view's grace period; logged once when over. */
export function clusterCacheCheck(view: ClusterView, logger: Logger): ReadinessCheck {
  let wasReady = false;
  return () => {
    const { ready, detail } = view.readiness();
    if (ready && !wasReady) logger.info({ cluster: 'ready' }, detail);
    wasReady = ready;
    return ready ? undefined : detail;
  };
}
