// Where the cluster is: an explicit kubeconfig, KUBECONFIG, the pod's service account, or
// nowhere. A developer's ~/.kube/config is never picked up silently: a webhook or a CI run
// judging against whatever cluster happens to be current would be a surprise. Deciding this
// loads no Kubernetes client: @kubernetes/client-node (about 77 MB of RSS) is loaded only once
// there is a cluster to connect to (connection.ts).
import { existsSync } from 'node:fs';

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
