// Reads that go to the API server now, for what the cache cannot answer yet: an object created
// a moment ago, a custom resource's existence, HPAs before the first sync. Each one runs under
// the deadline it is given and ends in a state, never a throw.
import {
  AppsV1Api,
  AutoscalingV2Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1APIResourceList,
} from '@kubernetes/client-node';
import { abortable, statusOf, withDeadline } from './deadline.js';
import { describeApiError } from './informer.js';
import { TargetState, groupOfApiVersion, type ScaleTargetRef, type TargetLookup } from './lookup.js';
import { slimHpa, type SlimHpa } from './slim.js';

// A CRD installed later shows up within this long.
const DISCOVERY_TTL_MS = 5 * 60_000;

export class DirectReads {
  private readonly apps: AppsV1Api;
  private readonly autoscaling: AutoscalingV2Api;
  private readonly custom: CustomObjectsApi;
  private readonly discovery = new Map<string, { at: number; list: V1APIResourceList }>();

  constructor(
    kc: KubeConfig,
    private readonly deadlineMs: number,
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.autoscaling = kc.makeApiClient(AutoscalingV2Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** GET of a Deployment, StatefulSet or ReplicaSet. */
  async appsTarget(namespace: string, kind: string, name: string): Promise<TargetLookup> {
    const read = (signal: AbortSignal) => {
      const options = abortable(signal);
      if (kind === 'StatefulSet') return this.apps.readNamespacedStatefulSet({ name, namespace }, options);
      if (kind === 'ReplicaSet') return this.apps.readNamespacedReplicaSet({ name, namespace }, options);
      return this.apps.readNamespacedDeployment({ name, namespace }, options);
    };
    return this.existence(`${kind} ${namespace}/${name}`, read);
  }

  /** GET of any other scalable kind, found through discovery; kinds discovery does not list are not judged. */
  async customTarget(namespace: string, ref: ScaleTargetRef): Promise<TargetLookup> {
    const group = groupOfApiVersion(ref.apiVersion);
    const version = ref.apiVersion?.split('/')[1];
    if (!group || !version) {
      return {
        state: TargetState.unjudged,
        reason: `kind ${ref.kind} (${ref.apiVersion ?? 'no apiVersion'}) is not judged`,
      };
    }
    let resources: V1APIResourceList;
    try {
      resources = await this.resourcesOf(group, version);
    } catch (err) {
      if (statusOf(err) === 404)
        return { state: TargetState.unjudged, reason: `${ref.apiVersion} is not served` };
      return {
        state: TargetState.unknown,
        reason: `discovery of ${ref.apiVersion} failed: ${describeApiError(err)}`,
      };
    }
    const resource = resources.resources.find((r) => r.kind === ref.kind && !r.name.includes('/'));
    const scalable = resources.resources.some((r) => r.name === `${resource?.name}/scale`);
    if (!resource || !scalable) {
      return { state: TargetState.unjudged, reason: `${ref.apiVersion} ${ref.kind} is not a scalable kind` };
    }
    const read = (signal: AbortSignal) =>
      this.custom.getNamespacedCustomObject(
        { group, version, namespace, plural: resource.name, name: ref.name },
        abortable(signal),
      );
    return this.existence(`${ref.kind} ${namespace}/${ref.name}`, read);
  }

  /** The HPAs of one namespace, read now. */
  async hpasIn(namespace: string): Promise<SlimHpa[]> {
    const list = await withDeadline(this.deadlineMs, (signal) =>
      this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }, abortable(signal)),
    );
    return list.items.map(slimHpa);
  }

  private async resourcesOf(group: string, version: string): Promise<V1APIResourceList> {
    const key = `${group}/${version}`;
    const cached = this.discovery.get(key);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.list;
    const list = await withDeadline(this.deadlineMs, (signal) =>
      this.custom.getAPIResources({ group, version }, abortable(signal)),
    );
    this.discovery.set(key, { at: Date.now(), list });
    return list;
  }

  private async existence(
    what: string,
    read: (signal: AbortSignal) => Promise<unknown>,
  ): Promise<TargetLookup> {
    try {
      await withDeadline(this.deadlineMs, read);
      return { state: TargetState.found };
    } catch (err) {
      if (statusOf(err) === 404) return { state: TargetState.missing };
      return { state: TargetState.unknown, reason: `reading ${what} failed: ${describeApiError(err)}` };
    }
  }
}
