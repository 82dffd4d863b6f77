// What the cache keeps of each object: only the fields the rules read. A cluster with 50,000
// Deployments then costs a few hundred bytes per object instead of the full manifests.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ScaleTargetRef } from './lookup.js';

export const MODE_LABEL = 'kube-hygiene.io/mode';

export interface SlimObject extends KubernetesObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
}

export interface SlimHpa extends SlimObject {
  spec: { scaleTargetRef: ScaleTargetRef };
}

export type Slimmer<T extends SlimObject> = (object: KubernetesObject) => T;

function meta(object: KubernetesObject): SlimObject['metadata'] {
  const { name = '', namespace, resourceVersion } = object.metadata ?? {};
  return { name, ...(namespace ? { namespace } : {}), ...(resourceVersion ? { resourceVersion } : {}) };
}

/** Name, namespace and resourceVersion: enough to say an object exists. */
export const slimObject: Slimmer<SlimObject> = (object) => ({ metadata: meta(object) });

/** A Namespace keeps only its mode label. */
export const slimNamespace: Slimmer<SlimObject> = (object) => {
  const mode = object.metadata?.labels?.[MODE_LABEL];
  return { metadata: { ...meta(object), ...(mode !== undefined ? { labels: { [MODE_LABEL]: mode } } : {}) } };
};

/** An HPA keeps its scale target. */
export const slimHpa: Slimmer<SlimHpa> = (object) => {
  const ref = (object as { spec?: { scaleTargetRef?: Partial<ScaleTargetRef> } }).spec?.scaleTargetRef ?? {};
  return {
    metadata: meta(object),
    spec: {
      scaleTargetRef: {
        ...(ref.apiVersion ? { apiVersion: ref.apiVersion } : {}),
        kind: ref.kind ?? '',
        name: ref.name ?? '',
      },
    },
  };
};
