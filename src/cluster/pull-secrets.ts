// Registry credentials for one pod, as the kubelet would pull with them: the pod's
// imagePullSecrets, then its ServiceAccount's (`default` when none is named), read through the
// API (RBAC: get on secrets and serviceaccounts). A secret that cannot be read (403, missing,
// not a registry secret) gives no credentials and a reason, never a failure: registry lookups
// then go anonymous. Credentials are never logged; reasons name secrets, never their contents.
import {
  CoreV1Api,
  type KubeConfig,
  type V1PodSpec,
  type V1Secret,
  type V1ServiceAccount,
} from '@kubernetes/client-node';
import type { Credential, CredentialStore } from '../images/registry/credentials.js';
import type { Deadline } from '../images/lookup-budget.js';
import { abortable, statusOf } from './deadline.js';
import { describeApiError } from './informer.js';
import { parseRegistrySecret, type ParsedSecret } from './registry-secret.js';

export interface PullCredentialLookup {
  readonly store: CredentialStore;
  /** Why a secret gave nothing: for a warning or a log line. Empty when every secret was read. */
  readonly problems: readonly string[];
}

export interface PullSecretReader {
  /** The engine's seam (EngineDeps.pullCredentials): a bound function, safe to pass on its own. */
  readonly pullCredentials: (
    namespace: string,
    podSpec: V1PodSpec,
    deadline: Deadline,
  ) => Promise<CredentialStore>;
  /** The same lookup, with the reasons a secret gave nothing. */
  readonly lookup: (
    namespace: string,
    podSpec: V1PodSpec,
    deadline: Deadline,
  ) => Promise<PullCredentialLookup>;
}

export interface PullSecretOptions {
  /** The policy switch (registryLookup.pullSecrets), read on every call so a reload applies at once. */
  readonly enabled?: () => boolean;
  /** How long a read secret or ServiceAccount is reused before it is read again. */
  readonly ttlMs?: number;
  /** Told each reason once per lookup (a log line at debug); never given credentials. */
  readonly onProblem?: (problem: string) => void;
}

type Problem = { readonly problem: string };
type Read<T> = { readonly at: number; readonly value: T | Problem };
type SecretRead = { readonly resourceVersion: string; readonly parsed: ParsedSecret };

const EMPTY: CredentialStore = new Map();
// Long enough to spare the API server one GET per admitted pod, short enough that a rotated
// secret or a new imagePullSecrets entry on the ServiceAccount is seen within the minute.
const DEFAULT_TTL_MS = 30_000;
// Entries past their TTL are dropped once a cache holds this many.
const PRUNE_AT = 1000;

function prune<T>(cache: Map<string, Read<T>>, ttlMs: number): void {
  if (cache.size < PRUNE_AT) return;
  const now = Date.now();
  for (const [key, read] of cache) if (now - read.at >= ttlMs) cache.delete(key);
}

export function createPullSecretReader(kc: KubeConfig, options: PullSecretOptions = {}): PullSecretReader {
  const core = kc.makeApiClient(CoreV1Api);
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const secrets = new Map<string, Read<SecretRead>>();
  const accounts = new Map<string, Read<string[]>>();

  /** One object through its cache: reused while fresh, read again after; a failed read is a reason. */
  async function cached<T>(
    cache: Map<string, Read<T>>,
    what: string,
    resource: string,
    deadline: Deadline,
    key: string,
    read: (previous: T | Problem | undefined) => Promise<T>,
  ): Promise<T | Problem> {
    const previous = cache.get(key);
    if (previous && Date.now() - previous.at < ttlMs) return previous.value;
    let value: T | Problem;
    try {
      value = await read(previous?.value);
    } catch (err) {
      if (deadline.signal.aborted) return { problem: `reading ${what} was cut short by the deadline` };
      value = { problem: apiProblem(what, err, resource) };
    }
    cache.set(key, { at: Date.now(), value });
    return value;
  }

  const readSecret = (namespace: string, name: string, deadline: Deadline) =>
    cached(
      secrets,
      `secret ${namespace}/${name}`,
      'secrets',
      deadline,
      `${namespace}/${name}`,
      async (previous) => {
        const secret: V1Secret = await core.readNamespacedSecret(
          { name, namespace },
          abortable(deadline.signal),
        );
        const resourceVersion = secret.metadata?.resourceVersion ?? '';
        // A secret read again unchanged is not parsed again.
        const unchanged =
          previous &&
          'parsed' in previous &&
          resourceVersion !== '' &&
          previous.resourceVersion === resourceVersion;
        return { resourceVersion, parsed: unchanged ? previous.parsed : parseRegistrySecret(secret) };
      },
    );

  const accountSecrets = (namespace: string, name: string, deadline: Deadline) =>
    cached(
      accounts,
      `ServiceAccount ${namespace}/${name}`,
      'serviceaccounts',
      deadline,
      `${namespace}/${name}`,
      async () => {
        const account: V1ServiceAccount = await core.readNamespacedServiceAccount(
          { name, namespace },
          abortable(deadline.signal),
        );
        return (account.imagePullSecrets ?? []).map((ref) => ref.name ?? '').filter(Boolean);
      },
    );

  async function lookup(
    namespace: string,
    podSpec: V1PodSpec,
    deadline: Deadline,
  ): Promise<PullCredentialLookup> {
    if (options.enabled && !options.enabled()) return { store: EMPTY, problems: [] };
    prune(secrets, ttlMs);
    prune(accounts, ttlMs);
    const problems: string[] = [];
    const fromPod = (podSpec.imagePullSecrets ?? []).map((ref) => ref.name ?? '').filter(Boolean);
    const accountName = podSpec.serviceAccountName || podSpec.serviceAccount || 'default';
    const fromAccount = await accountSecrets(namespace, accountName, deadline);
    if (!Array.isArray(fromAccount)) problems.push(fromAccount.problem);
    const names = [...new Set([...fromPod, ...(Array.isArray(fromAccount) ? fromAccount : [])])];
    const reads = await Promise.all(names.map((name) => readSecret(namespace, name, deadline)));
    const store = new Map<string, Credential>();
    for (const read of reads) {
      if ('problem' in read) problems.push(read.problem);
      else if (!read.parsed.ok) problems.push(read.parsed.problem);
      // The first secret naming a registry wins: the pod's own before its ServiceAccount's.
      else
        for (const [host, credential] of read.parsed.store) if (!store.has(host)) store.set(host, credential);
    }
    for (const problem of problems) options.onProblem?.(problem);
    return { store, problems };
  }

  return {
    lookup,
    pullCredentials: async (namespace, podSpec, deadline) =>
      (await lookup(namespace, podSpec, deadline)).store,
  };
}

function apiProblem(what: string, err: unknown, resource: string): string {
  const status = statusOf(err);
  if (status === 404)
    return `${what} does not exist: registry lookups for this pod go without its credentials`;
  if (status === 403)
    return `${what} cannot be read (403): grant get on ${resource} to kube-hygiene (deploy/components/pull-secrets) or set registryLookup.pullSecrets: false`;
  return `${what} could not be read: ${describeApiError(err)}`;
}
