// Which cluster `audit` judges, found the way kubectl finds it: --kubeconfig FILE; else every
// file KUBECONFIG lists, merged as kubectl merges them (the first file to name a cluster, user
// or context wins it, the first current-context wins, listed files that do not exist are
// skipped); else ~/.kube/config; else the pod's service account. --context picks a context.
// The server (cluster/connection.ts) never reads ~/.kube/config: audit is a person's command.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { ErrorCode, HygieneError } from '../errors.js';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeconfigInputs {
  /** `--kubeconfig`, when given. */
  readonly kubeconfig?: string;
  /** `--context`, when given. */
  readonly context?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** For tests: whether the service account token is mounted. */
  readonly tokenMounted?: boolean;
}

export interface AuditCluster {
  readonly kc: KubeConfig;
  /** Where the configuration came from, for messages. */
  readonly from: string;
  /** The context in use (`in-cluster` for the service account). */
  readonly context: string;
  /** The API server's URL. */
  readonly server: string;
}

const usage = (message: string) => new HygieneError(ErrorCode.USAGE, message);

function readFile(file: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw usage(`cannot read the kubeconfig ${file}: ${reason}; fix the file or pass --kubeconfig FILE`);
  }
  return kc;
}

/** kubectl's merge: for each name, the first file that defines it wins. */
function merge(configs: readonly KubeConfig[]): KubeConfig {
  const firstByName = <T extends { name: string }>(lists: readonly (readonly T[])[]) => {
    const byName = new Map<string, T>();
    for (const item of lists.flat()) if (!byName.has(item.name)) byName.set(item.name, item);
    return [...byName.values()];
  };
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: firstByName<Cluster>(configs.map((c) => c.getClusters())),
    users: firstByName<User>(configs.map((c) => c.getUsers())),
    contexts: firstByName<Context>(configs.map((c) => c.getContexts())),
    currentContext: configs.map((c) => c.getCurrentContext()).find(Boolean) ?? '',
  });
  return merged;
}

function fromFiles(inputs: KubeconfigInputs): { kc: KubeConfig; from: string } | undefined {
  if (inputs.kubeconfig) return { kc: readFile(inputs.kubeconfig), from: inputs.kubeconfig };
  const listed = inputs.env.KUBECONFIG?.split(delimiter).filter(Boolean) ?? [];
  if (listed.length) {
    const present = listed.filter((file) => existsSync(file));
    if (!present.length)
      throw usage(
        `none of the files KUBECONFIG lists exists (${listed.join(', ')}); fix KUBECONFIG or pass --kubeconfig FILE`,
      );
    return { kc: merge(present.map(readFile)), from: `KUBECONFIG (${present.join(', ')})` };
  }
  const home = inputs.env.HOME;
  const personal = home ? join(home, '.kube', 'config') : undefined;
  if (personal && existsSync(personal)) return { kc: readFile(personal), from: personal };
  return undefined;
}

function inCluster(inputs: KubeconfigInputs): boolean {
  return (
    Boolean(inputs.env.KUBERNETES_SERVICE_HOST) && (inputs.tokenMounted ?? existsSync(SERVICE_ACCOUNT_TOKEN))
  );
}

/** The cluster to audit, or a usage error that says what to pass. */
export function loadAuditCluster(inputs: KubeconfigInputs): AuditCluster {
  const files = fromFiles(inputs);
  if (!files) {
    if (!inCluster(inputs)) {
      const personal = inputs.env.HOME
        ? `${join(inputs.env.HOME, '.kube', 'config')}`
        : '~/.kube/config (HOME is not set)';
      throw usage(
        `audit needs a cluster: no --kubeconfig, no KUBECONFIG variable, no ${personal} and no in-cluster service account; pass --kubeconfig FILE or set KUBECONFIG`,
      );
    }
    if (inputs.context)
      throw usage(`--context ${inputs.context}: the in-cluster service account has no contexts`);
    const kc = new KubeConfig();
    try {
      kc.loadFromCluster();
    } catch (err) {
      throw usage(`cannot use the in-cluster service account: ${(err as Error).message}`);
    }
    return {
      kc,
      from: 'the in-cluster service account',
      context: 'in-cluster',
      server: kc.getCurrentCluster()!.server,
    };
  }
  const { kc, from } = files;
  const names = kc.getContexts().map((c) => c.name);
  const known = names.length ? `its contexts: ${names.join(', ')}` : 'it has no contexts';
  if (inputs.context !== undefined) {
    if (!kc.getContextObject(inputs.context))
      throw usage(`no context "${inputs.context}" in ${from} (${known})`);
    kc.setCurrentContext(inputs.context);
  }
  const context = kc.getCurrentContext();
  if (!context || !kc.getContextObject(context))
    throw usage(
      `${from} names no current context${context ? ` it defines ("${context}")` : ''}: pass --context NAME (${known}) or run kubectl config use-context NAME`,
    );
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw usage(
      `context "${context}" in ${from} names cluster "${kc.getContextObject(context)!.cluster}", which ${from} does not define`,
    );
  return { kc, from, context, server: cluster.server };
}
