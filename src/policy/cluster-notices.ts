// Without a cluster connection, rules that judge against the cluster are off. That is said
// once, where a person will read it (the server's start-up log, the top of `check` output),
// never as a warning on every admitted object.
import type { CompiledPolicy } from './compile.js';
import type { ConnectionSource } from '../cluster/connection.js';

const CONNECT = 'pass --kubeconfig or run in a cluster to turn it on';

/** `remedy`: what turns the rules on where the notice is read (`check` has no cluster to connect). */
export function clusterRuleNotices(
  policy: CompiledPolicy,
  source: ConnectionSource,
  remedy = CONNECT,
): string[] {
  if (source.kind !== 'none') return [];
  return policy.rules
    .filter(({ rule }) => rule.needsCluster)
    .map(({ rule }) => `${rule.id} is off: no cluster connection (${source.reason}); ${remedy}`);
}
