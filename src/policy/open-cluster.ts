// From a connection source to what the engine takes: the cluster lookup, the namespace mode and
// the pods' pull-secret credentials, or nothing (with the notices saying which rules are off)
// when there is no cluster.
import type { CompiledPolicy } from './compile.js';
import { loadKubeConfig, type ConnectionSource } from '../cluster/connection.js';
import { clusterRuleNotices } from './cluster-notices.js';
import {
  createPullSecretReader,
  type PullSecretOptions,
  type PullSecretReader,
} from '../cluster/pull-secrets.js';
import { ClusterView, type ClusterViewOptions } from '../cluster/view.js';

export interface OpenedCluster {
  /** Undefined without a connection. Pass as EngineDeps.cluster and `namespaceMode: view.namespaceMode`. */
  readonly view: ClusterView | undefined;
  /** Undefined without a connection. Pass `pullSecrets.pullCredentials` as EngineDeps.pullCredentials. */
  readonly pullSecrets: PullSecretReader | undefined;
  /** One line per rule that is off for want of a cluster: log them once. */
  readonly notices: readonly string[];
}

/**
 * Throws HygieneError(USAGE) when a kubeconfig is named but unusable; never waits for the API.
 * Pull secrets follow `registryLookup.pullSecrets` of `policy` unless `pullSecrets.enabled` is
 * given (the server passes one that reads the live, reloadable policy).
 */
export function openCluster(
  source: ConnectionSource,
  policy: CompiledPolicy,
  options?: ClusterViewOptions,
  pullSecrets: PullSecretOptions = {},
): OpenedCluster {
  if (source.kind === 'none') {
    return { view: undefined, pullSecrets: undefined, notices: clusterRuleNotices(policy, source) };
  }
  const kc = loadKubeConfig(source);
  return {
    view: new ClusterView(kc, options),
    pullSecrets: createPullSecretReader(kc, {
      enabled: () => policy.policy.registryLookup.pullSecrets,
      ...pullSecrets,
    }),
    notices: [],
  };
}
