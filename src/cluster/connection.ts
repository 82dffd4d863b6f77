// Where the cluster is: an explicit kubeconfig, KUBECONFIG, the pod's service account, or
// nowhere. A developer's ~/.kube/config is never picked up silently: a webhook or a CI run
// judging against whatever cluster happens to be current would be a surprise.
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, HygieneError } from '../errors.js';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type ConnectionSource =
  | { readonly kind: 'kubeconfig'; readonly path: string }
  | { readonly kind: 'in-cluster' }
  | { readonly kind: 'none'; readonly reason: string };

export interface ConnectionInputs {
  /** `--kubeconfig`, when given. */
  readonly kubeconfig?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** For tests: whether the service account token is mounted. */
  readonly tokenMounted?: boolean;
}

/** Flag, then KUBECONFIG, then the service account, then none (with the reason). */
export function chooseConnection({ kubeconfig, env, tokenMounted }: ConnectionInputs): ConnectionSource {
  if (kubeconfig) return { kind: 'kubeconfig', path: kubeconfig };
  const fromEnv = env.KUBECONFIG?.split(':').find(Boolean);
  if (fromEnv) return { kind: 'kubeconfig', path: fromEnv };
  if (env.KUBERNETES_SERVICE_HOST && (tokenMounted ?? existsSync(SERVICE_ACCOUNT_TOKEN)))
    return { kind: 'in-cluster' };
  return {
    kind: 'none',
    reason: 'no --kubeconfig, no KUBECONFIG and no in-cluster service account',
  };
}

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
