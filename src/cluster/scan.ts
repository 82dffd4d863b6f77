// The objects `audit` judges, listed with the typed client a page at a time (limit/continue),
// so a cluster with 50,000 Pods is never one response in memory. HPAs come last: by then
// every object an HPA can scale has been seen.
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  type ConfigurationOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { KubeObject } from '../kube/workload.js';
import { abortable, withDeadline } from './deadline.js';
import { describeApiError } from './informer.js';

export interface AuditedResource {
  readonly apiVersion: string;
  readonly kind: string;
  /** The resource name RBAC and kubectl use (`deployments`). */
  readonly plural: string;
}

type Page = KubernetesListObject<KubernetesObject>;
type PageRequest = { limit: number; _continue?: string };
type Lister = (namespace: string | undefined, page: PageRequest, signal: AbortSignal) => Promise<Page>;

const PAGE_SIZE = 500;
// One page of 500 objects takes well under a second on a healthy API server.
const PAGE_DEADLINE_MS = 30_000;

const resource = (apiVersion: string, kind: string, plural: string) => ({ apiVersion, kind, plural });

/** The kinds `audit` lists, in the order it lists them: every kind the engine finds pod specs in, then HPAs. */
export const AUDITED_RESOURCES: readonly AuditedResource[] = [
  resource('apps/v1', 'Deployment', 'deployments'),
  resource('apps/v1', 'StatefulSet', 'statefulsets'),
  resource('apps/v1', 'ReplicaSet', 'replicasets'),
  resource('apps/v1', 'DaemonSet', 'daemonsets'),
  resource('batch/v1', 'CronJob', 'cronjobs'),
  resource('batch/v1', 'Job', 'jobs'),
  resource('v1', 'ReplicationController', 'replicationcontrollers'),
  resource('v1', 'Pod', 'pods'),
  resource('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
];

function listers(kc: KubeConfig): Record<string, Lister> {
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  // Each kind has a typed method for every namespace and one for a single namespace.
  const either =
    (
      all: (page: PageRequest, options: ConfigurationOptions) => Promise<Page>,
      one: (page: PageRequest & { namespace: string }, options: ConfigurationOptions) => Promise<Page>,
    ): Lister =>
    (namespace, page, signal) => {
      const options = abortable(signal);
      return namespace === undefined ? all(page, options) : one({ ...page, namespace }, options);
    };
  return {
    Deployment: either(
      (p, o) => apps.listDeploymentForAllNamespaces(p, o),
      (p, o) => apps.listNamespacedDeployment(p, o),
    ),
    StatefulSet: either(
      (p, o) => apps.listStatefulSetForAllNamespaces(p, o),
      (p, o) => apps.listNamespacedStatefulSet(p, o),
    ),
    ReplicaSet: either(
      (p, o) => apps.listReplicaSetForAllNamespaces(p, o),
      (p, o) => apps.listNamespacedReplicaSet(p, o),
    ),
    DaemonSet: either(
      (p, o) => apps.listDaemonSetForAllNamespaces(p, o),
      (p, o) => apps.listNamespacedDaemonSet(p, o),
    ),
    CronJob: either(
      (p, o) => batch.listCronJobForAllNamespaces(p, o),
      (p, o) => batch.listNamespacedCronJob(p, o),
    ),
    Job: either(
      (p, o) => batch.listJobForAllNamespaces(p, o),
      (p, o) => batch.listNamespacedJob(p, o),
    ),
    ReplicationController: either(
      (p, o) => core.listReplicationControllerForAllNamespaces(p, o),
      (p, o) => core.listNamespacedReplicationController(p, o),
    ),
    Pod: either(
      (p, o) => core.listPodForAllNamespaces(p, o),
      (p, o) => core.listNamespacedPod(p, o),
    ),
    HorizontalPodAutoscaler: either(
      (p, o) => autoscaling.listHorizontalPodAutoscalerForAllNamespaces(p, o),
      (p, o) => autoscaling.listNamespacedHorizontalPodAutoscaler(p, o),
    ),
  };
}

export interface ScanHandlers {
  /** One page of objects, as plain JSON with apiVersion and kind set (list items carry neither). */
  page(resource: AuditedResource, items: KubeObject[]): Promise<void>;
  /** Every object of `resource` has been handed over. */
  listed(resource: AuditedResource): void;
  /** Listing `resource` failed; the scan goes on with the next one. */
  failed(resource: AuditedResource, message: string): void;
}

/** Lists every audited resource in `namespace` (every namespace when undefined). */
export async function scanCluster(
  kc: KubeConfig,
  namespace: string | undefined,
  on: ScanHandlers,
): Promise<void> {
  const listOf = listers(kc);
  for (const resource of AUDITED_RESOURCES) {
    const list = listOf[resource.kind] as Lister;
    let token: string | undefined;
    try {
      do {
        const page = await withDeadline(PAGE_DEADLINE_MS, (signal) =>
          list(namespace, { limit: PAGE_SIZE, ...(token ? { _continue: token } : {}) }, signal),
        );
        // Back to JSON: the typed client turns timestamps into Dates; the engine reads manifests.
        const items = page.items.map(
          (item) =>
            ({
              ...JSON.parse(JSON.stringify(item)),
              apiVersion: resource.apiVersion,
              kind: resource.kind,
            }) as KubeObject,
        );
        await on.page(resource, items);
        token = page.metadata?._continue || undefined;
      } while (token);
      on.listed(resource);
    } catch (err) {
      const where = namespace === undefined ? 'in every namespace' : `in namespace ${namespace}`;
      on.failed(
        resource,
        `listing ${resource.plural} ${where} failed: ${describeApiError(err)}; grant list on ${resource.plural} or pass -n NAMESPACE`,
      );
    }
  }
}
