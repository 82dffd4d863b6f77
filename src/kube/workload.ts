// Where pod specs live inside the objects the webhook admits. Each kind keeps its pod
// template at a fixed path; unknown kinds have none and pass untouched.
import type { V1ObjectMeta, V1PodSpec } from '@kubernetes/client-node';
import { isJsonObject } from '../json.js';

/** Any Kubernetes object as it arrives: only the envelope is known. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  [key: string]: unknown;
}

export interface PodSpecSite {
  readonly spec: V1PodSpec;
  /** JSON pointer of the pod spec (`/spec/template/spec`). */
  readonly path: string;
  /** Metadata of the pod (or of the template the pods are stamped from). */
  readonly meta: V1ObjectMeta | undefined;
  readonly metaPath: string;
  /** True for a template in a workload; false for a Pod itself. */
  readonly template: boolean;
}

type Steps = readonly string[];
const TEMPLATE: Steps = ['spec', 'template'];

// Kind → API groups that define it with this shape → path to the pod template (or pod).
const LAYOUT: Record<string, { groups: readonly string[]; template: Steps | null }> = {
  Pod: { groups: [''], template: null },
  PodTemplate: { groups: [''], template: ['template'] },
  ReplicationController: { groups: [''], template: TEMPLATE },
  Deployment: { groups: ['apps', 'extensions'], template: TEMPLATE },
  ReplicaSet: { groups: ['apps', 'extensions'], template: TEMPLATE },
  DaemonSet: { groups: ['apps', 'extensions'], template: TEMPLATE },
  StatefulSet: { groups: ['apps'], template: TEMPLATE },
  Job: { groups: ['batch'], template: TEMPLATE },
  CronJob: { groups: ['batch'], template: ['spec', 'jobTemplate', 'spec', 'template'] },
};

export const WORKLOAD_KINDS = Object.keys(LAYOUT);

export function groupOf(apiVersion: unknown): string {
  if (typeof apiVersion !== 'string') return '';
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

const isRecord = isJsonObject;

/** An object the caller sent, read as a Kubernetes object: every field is still to be checked. */
export const isKubeObject = isJsonObject as (value: unknown) => value is KubeObject;

function descend(root: unknown, steps: Steps): unknown {
  let node = root;
  for (const step of steps) {
    if (!isRecord(node)) return undefined;
    node = node[step];
  }
  return node;
}

const pointer = (steps: Steps) => (steps.length ? '/' + steps.join('/') : '');

/** Pod specs in an object of the given kind and group; empty for kinds that hold none. */
export function findPodSpecs(object: KubeObject, kind: string, group: string): PodSpecSite[] {
  const layout = LAYOUT[kind];
  if (!layout || !layout.groups.includes(group)) return [];
  const podSteps = layout.template ?? [];
  const pod = podSteps.length ? descend(object, podSteps) : object;
  if (!isRecord(pod)) return [];
  const spec = pod.spec;
  if (!isRecord(spec)) return [];
  const meta = isRecord(pod.metadata) ? (pod.metadata as V1ObjectMeta) : undefined;
  return [
    {
      spec: spec as unknown as V1PodSpec,
      path: pointer([...podSteps, 'spec']),
      meta,
      metaPath: pointer([...podSteps, 'metadata']),
      template: layout.template !== null,
    },
  ];
}
