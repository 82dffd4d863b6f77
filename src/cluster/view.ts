// The cluster as the webhook sees it: informers for the kinds an HPA usually targets, for HPAs
// and for Namespaces, plus direct reads for what the cache cannot answer. It implements the
// narrow ClusterLookup the rules receive and the namespace-mode function the engine takes.
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { DirectReads } from './direct-reads.js';
import { startInformer, type CachedResource } from './informer.js';
import { DeadlineExceeded, withDeadline } from './deadline.js';
import {
  TargetState,
  isWatchedTarget,
  type ClusterLookup,
  type HpaLookup,
  type ScaleTargetRef,
  type TargetLookup,
} from './lookup.js';
import { slimHpa, slimNamespace, slimObject, type SlimHpa, type SlimObject } from './slim.js';
import { namespaceModeOf, type NamespaceMode } from './namespace-mode.js';

export interface ClusterViewOptions {
  /** Longest a direct read may take; keep it well under the webhook's timeoutSeconds. */
  readonly deadlineMs?: number;
  /** How long readiness waits for the first sync before it reports ready anyway. */
  readonly syncGraceMs?: number;
  readonly retry?: { readonly firstMs: number; readonly maxMs: number };
}

export interface Readiness {
  readonly ready: boolean;
  readonly detail: string;
}

export class ClusterView implements ClusterLookup {
  private readonly direct: DirectReads;
  private readonly targets: Record<string, CachedResource<SlimObject>>;
  private readonly hpas: CachedResource<SlimHpa>;
  private readonly namespaces: CachedResource<SlimObject>;
  private readonly deadlineMs: number;
  private readonly startedAt = Date.now();
  private readonly syncGraceMs: number;

  constructor(kc: KubeConfig, options: ClusterViewOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? 2000;
    this.syncGraceMs = options.syncGraceMs ?? 30_000;
    this.direct = new DirectReads(kc, this.deadlineMs);
    const apps = kc.makeApiClient(AppsV1Api);
    const autoscaling = kc.makeApiClient(AutoscalingV2Api);
    const core = kc.makeApiClient(CoreV1Api);
    const retry = options.retry;
    this.targets = {
      Deployment: startInformer(kc, {
        name: 'deployments',
        path: '/apis/apps/v1/deployments',
        list: (page) => apps.listDeploymentForAllNamespaces(page),
        slim: slimObject,
        retry,
      }),
      StatefulSet: startInformer(kc, {
        name: 'statefulsets',
        path: '/apis/apps/v1/statefulsets',
        list: (page) => apps.listStatefulSetForAllNamespaces(page),
        slim: slimObject,
        retry,
      }),
      ReplicaSet: startInformer(kc, {
        name: 'replicasets',
        path: '/apis/apps/v1/replicasets',
        list: (page) => apps.listReplicaSetForAllNamespaces(page),
        slim: slimObject,
        retry,
      }),
    };
    this.hpas = startInformer(kc, {
      name: 'horizontalpodautoscalers',
      path: '/apis/autoscaling/v2/horizontalpodautoscalers',
      list: (page) => autoscaling.listHorizontalPodAutoscalerForAllNamespaces(page),
      slim: slimHpa,
      retry,
    });
    this.namespaces = startInformer(kc, {
      name: 'namespaces',
      path: '/api/v1/namespaces',
      list: (page) => core.listNamespace(page),
      slim: slimNamespace,
      retry,
    });
  }

  private get informers(): CachedResource<SlimObject>[] {
    return [...Object.values(this.targets), this.hpas, this.namespaces];
  }

  async scaleTarget(namespace: string, ref: ScaleTargetRef): Promise<TargetLookup> {
    if (isWatchedTarget(ref)) {
      // A cache hit is an answer; a miss may be an object created a moment ago: ask the API.
      if (this.targets[ref.kind]?.get(ref.name, namespace)) return { state: TargetState.found };
      return this.bounded(this.direct.appsTarget(namespace, ref.kind, ref.name));
    }
    return this.bounded(this.direct.customTarget(namespace, ref));
  }

  async hpasTargeting(namespace: string, kind: string, name: string): Promise<HpaLookup> {
    let hpas: readonly SlimHpa[];
    try {
      hpas = this.hpas.synced ? this.hpas.list(namespace) : await this.direct.hpasIn(namespace);
    } catch (err) {
      return {
        state: TargetState.unknown,
        reason: `listing HPAs in ${namespace} failed: ${(err as Error).message}`,
      };
    }
    const names = hpas
      .filter(
        ({ spec: { scaleTargetRef: ref } }) => ref.kind === kind && ref.name === name && isWatchedTarget(ref),
      )
      .map((hpa) => hpa.metadata.name)
      .sort();
    return { state: TargetState.found, hpas: names };
  }

  /** The namespace's `kube-hygiene.io/mode` label, as the engine's namespaceMode. */
  namespaceMode = (namespace: string): NamespaceMode | undefined =>
    namespaceModeOf(this.namespaces.get(namespace)?.metadata.labels);

  /** Ready once every informer has listed, or once the grace period is over (rules then read directly). */
  readiness(): Readiness {
    const waiting = this.informers.filter((i) => !i.synced);
    if (!waiting.length) return { ready: true, detail: 'cluster cache synced' };
    const names = waiting.map((i) => `${i.name}${i.lastError ? ` (${i.lastError})` : ''}`).join(', ');
    if (Date.now() - this.startedAt >= this.syncGraceMs) {
      return {
        ready: true,
        detail: `serving without a synced cache for ${names}: lookups go to the API server`,
      };
    }
    return { ready: false, detail: `waiting for the first list of ${names}` };
  }

  /** Resolves when every informer has listed once, or false after `ms`. */
  async waitForSync(ms: number): Promise<boolean> {
    const all = Promise.all(this.informers.map((i) => i.firstSync)).then(() => true);
    try {
      return await withDeadline(ms, () => all);
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private async bounded(lookup: Promise<TargetLookup>): Promise<TargetLookup> {
    try {
      return await withDeadline(this.deadlineMs, () => lookup);
    } catch (err) {
      const reason = err instanceof DeadlineExceeded ? err.message : String(err);
      return { state: TargetState.unknown, reason: `the API server gave ${reason}` };
    }
  }
}
