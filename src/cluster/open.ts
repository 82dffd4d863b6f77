// From a connection source to what the engine takes: the cluster lookup and the namespace
// mode, or nothing (with the notices saying which rules are off) when there is no cluster.
import type { CompiledPolicy } from '../policy/compile.js';
import { loadKubeConfig, type ConnectionSource } from './connection.js';
import { clusterRuleNotices } from './notices.js';
import { ClusterView, type ClusterViewOptions } from './view.js';

export interface OpenedCluster {
  /** Undefined without a connection. Pass as EngineDeps.cluster and `namespaceMode: view.namespaceMode`. */
  readonly view: ClusterView | undefined;
  /** One line per rule that is off for want of a cluster: log them once. */
  readonly notices: readonly string[];
}

/** Throws HygieneError(USAGE) when a kubeconfig is named but unusable; never waits for the API. */
export function openCluster(
  source: ConnectionSource,
  policy: CompiledPolicy,
  options?: ClusterViewOptions,
): OpenedCluster {
  if (source.kind === 'none') return { view: undefined, notices: clusterRuleNotices(policy, source) };
  return { view: new ClusterView(loadKubeConfig(source), options), notices: [] };
}
