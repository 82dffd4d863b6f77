// The caches the view keeps, one informer each: what an HPA usually scales, the HPAs, and the
// Namespaces (for their mode label). RBAC: list + watch on each (docs/operations.md, "Cluster access").
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { startInformer, type CachedResource, type InformerOptions, type InformerPacing } from './informer.js';
import { abortable } from './deadline.js';
import { slimHpa, slimNamespace, slimObject, type SlimHpa, type SlimObject, type Slimmer } from './slim.js';

export interface InformerSet {
  /** By kind: Deployment, StatefulSet, ReplicaSet. */
  readonly targets: Readonly<Record<string, CachedResource<SlimObject>>>;
  readonly hpas: CachedResource<SlimHpa>;
  readonly namespaces: CachedResource<SlimObject>;
}

export function startInformers(kc: KubeConfig, retry?: InformerPacing): InformerSet {
  const apps = kc.makeApiClient(AppsV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const core = kc.makeApiClient(CoreV1Api);
  const start = <T extends SlimObject>(
    name: string,
    path: string,
    list: InformerOptions<T>['list'],
    slim: Slimmer<T>,
  ) => startInformer(kc, { name, path, list, slim, retry });
  return {
    targets: {
      Deployment: start(
        'deployments',
        '/apis/apps/v1/deployments',
        (p, signal) => apps.listDeploymentForAllNamespaces(p, abortable(signal)),
        slimObject,
      ),
      StatefulSet: start(
        'statefulsets',
        '/apis/apps/v1/statefulsets',
        (p, signal) => apps.listStatefulSetForAllNamespaces(p, abortable(signal)),
        slimObject,
      ),
      ReplicaSet: start(
        'replicasets',
        '/apis/apps/v1/replicasets',
        (p, signal) => apps.listReplicaSetForAllNamespaces(p, abortable(signal)),
        slimObject,
      ),
    },
    hpas: start(
      'horizontalpodautoscalers',
      '/apis/autoscaling/v2/horizontalpodautoscalers',
      (p, signal) => autoscaling.listHorizontalPodAutoscalerForAllNamespaces(p, abortable(signal)),
      slimHpa,
    ),
    namespaces: start(
      'namespaces',
      '/api/v1/namespaces',
      (p, signal) => core.listNamespace(p, abortable(signal)),
      slimNamespace,
    ),
  };
}
