// The managed certificates' Secret and Lease in the server's namespace, through the typed
// client: a 404 is "not there", a 409 a lost race (ConflictError), anything else an Error that
// says what failed and, for 403, which grant is missing. Every call has a deadline. Writes
// replace the object read (its labels and kubectl's annotations stay) and are conditional on its
// resourceVersion.
import {
  CoordinationV1Api,
  CoreV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
  type V1ObjectMeta,
  type V1Secret,
} from '@kubernetes/client-node';
import { abortable, statusOf, withDeadline } from './deadline.js';
import { describeApiError } from './informer.js';
import { ConflictError, type LeaseApi, type LeaseRecord } from './leader-lease.js';

/** Every write says who made it (metadata.managedFields). */
export const FIELD_MANAGER = 'kube-hygiene';
const REQUEST_MS = 10_000;

export interface SecretApi {
  read(): Promise<V1Secret | undefined>;
  /** Writes `data` over the Secret as read (conditional on its resourceVersion), or creates it. */
  write(read: V1Secret | undefined, data: Record<string, string>): Promise<V1Secret>;
}

export interface ObjectNames {
  readonly namespace: string;
  readonly secret: string;
  readonly lease: string;
}

/** An API failure as a sentence: what was tried, the answer, and for 403 the grant it needs. */
export function apiFailure(verb: string, what: string, err: unknown): Error {
  if (statusOf(err) === 409) return new ConflictError(what);
  const status = statusOf(err);
  const hint =
    status === 403 && verb === 'create'
      ? `: kube-hygiene may not create it (RBAC cannot limit create to one name); apply the overlay again, it ships the object`
      : status === 403
        ? `: grant ${verb} on ${what} to kube-hygiene's ServiceAccount`
        : '';
  return new Error(`${verb} ${what} failed: ${describeApiError(err)}${hint}`, { cause: err });
}

async function call<T>(verb: string, what: string, run: (o: ReturnType<typeof abortable>) => Promise<T>) {
  try {
    return await withDeadline(REQUEST_MS, (signal) => run(abortable(signal)));
  } catch (err) {
    throw apiFailure(verb, what, err);
  }
}

async function readOrUndefined<T>(what: string, run: (o: ReturnType<typeof abortable>) => Promise<T>) {
  try {
    return await withDeadline(REQUEST_MS, (signal) => run(abortable(signal)));
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw apiFailure('get', what, err);
  }
}

export function secretApi(kc: KubeConfig, names: ObjectNames): SecretApi {
  const core = kc.makeApiClient(CoreV1Api);
  const { namespace, secret: name } = names;
  const what = `secret ${namespace}/${name}`;
  return {
    read: () => readOrUndefined(what, (o) => core.readNamespacedSecret({ name, namespace }, o)),
    write: (read, data) => {
      if (!read) {
        const body = {
          metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'kube-hygiene' } },
          type: 'Opaque',
          data,
        };
        return call('create', what, (o) =>
          core.createNamespacedSecret({ namespace, body, fieldManager: FIELD_MANAGER }, o),
        );
      }
      const body = { ...read, data };
      return call('update', what, (o) =>
        core.replaceNamespacedSecret({ name, namespace, body, fieldManager: FIELD_MANAGER }, o),
      );
    },
  };
}

const time = (value: unknown) => (value ? new Date(value as string | Date) : undefined);

export function leaseApi(kc: KubeConfig, names: ObjectNames): LeaseApi {
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const { namespace, lease: name } = names;
  const what = `lease ${namespace}/${name}`;
  const micro = (date: Date | undefined) => (date ? new V1MicroTime(date.getTime()) : undefined);
  // The whole object is replaced: the labels and annotations of the Lease as last read are kept.
  let lastRead: V1ObjectMeta | undefined;
  const body = (r: LeaseRecord): V1Lease => ({
    metadata: {
      ...(r.resourceVersion && lastRead?.resourceVersion === r.resourceVersion && lastRead),
      name,
      namespace,
      ...(r.resourceVersion && { resourceVersion: r.resourceVersion }),
    },
    spec: {
      holderIdentity: r.holder,
      leaseDurationSeconds: r.durationSeconds,
      acquireTime: micro(r.acquireTime),
      renewTime: micro(r.renewTime),
      leaseTransitions: r.transitions,
    },
  });
  return {
    read: async () => {
      const lease = await readOrUndefined(what, (o) =>
        coordination.readNamespacedLease({ name, namespace }, o),
      );
      lastRead = lease?.metadata;
      if (!lease) return undefined;
      const spec = lease.spec ?? {};
      return {
        resourceVersion: lease.metadata?.resourceVersion,
        holder: spec.holderIdentity,
        durationSeconds: spec.leaseDurationSeconds,
        acquireTime: time(spec.acquireTime),
        renewTime: time(spec.renewTime),
        transitions: spec.leaseTransitions,
      };
    },
    create: async (r) => {
      await call('create', what, (o) =>
        coordination.createNamespacedLease({ namespace, body: body(r), fieldManager: FIELD_MANAGER }, o),
      );
    },
    replace: async (r) => {
      await call('update', what, (o) =>
        coordination.replaceNamespacedLease(
          { name, namespace, body: body(r), fieldManager: FIELD_MANAGER },
          o,
        ),
      );
    },
  };
}
