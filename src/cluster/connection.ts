// The client configuration for a connection source. Importing this file loads
// @kubernetes/client-node: only code that connects to a cluster does (connection-source.ts
// decides whether there is one without it).
import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, HygieneError } from '../errors.js';
import type { ConnectionSource } from './connection-source.js';

export { chooseConnection, type ConnectionInputs, type ConnectionSource } from './connection-source.js';

/** The client configuration for a source; throws USAGE when a kubeconfig cannot be used. */
export function loadKubeConfig(source: Exclude<ConnectionSource, { kind: 'none' }>): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (source.kind === 'in-cluster') kc.loadFromCluster();
    else kc.loadFromFile(source.path);
  } catch (err) {
    const where = source.kind === 'in-cluster' ? 'the in-cluster service account' : source.path;
    throw new HygieneError(
      ErrorCode.USAGE,
      `cannot read the cluster configuration from ${where}: ${(err as Error).message}; fix the file or pass --kubeconfig`,
    );
  }
  if (!kc.getCurrentCluster()) {
    const where = source.kind === 'kubeconfig' ? source.path : 'the service account';
    throw new HygieneError(
      ErrorCode.USAGE,
      `${where} names no current cluster: set current-context (kubectl config use-context NAME)`,
    );
  }
  return kc;
}
