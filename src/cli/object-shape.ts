// Which documents are Kubernetes objects. A manifest directory also holds Chart.yaml,
// values.yaml, kustomization.yaml, Grafana dashboards and other YAML or JSON: they are skipped
// and never counted as objects. An object whose envelope kubectl cannot send (a name that is a
// mapping, as in an unrendered `name: {{ .Values.name }}`) is an error at its line.
import { isJsonObject } from '../json.js';
import type { KubeObject } from '../kube/workload.js';

/** undefined: a Kubernetes object; null: an empty document; otherwise why it is not one. */
export function notAnObject(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (!isJsonObject(value)) {
    const what = Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    return `not a Kubernetes object (${what}, not a mapping with apiVersion and kind)`;
  }
  const { apiVersion, kind } = value;
  if (kind === undefined) {
    return apiVersion === undefined
      ? 'not a Kubernetes object (no apiVersion or kind)'
      : 'not a Kubernetes object (an apiVersion but no kind)';
  }
  if (typeof apiVersion === 'string' && apiVersion.startsWith('kustomize.config.k8s.io/'))
    return `a ${String(kind)} for kustomize, not a Kubernetes object: build it with kubectl kustomize DIR | kube-hygiene check -`;
  if (apiVersion === 'v1' && kind === 'Config') return 'a kubeconfig, not a Kubernetes object';
  return undefined;
}

function shape(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isJsonObject(value)) return 'a mapping';
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

const RENDER =
  'an unrendered template? render it first, e.g. helm template RELEASE CHART | kube-hygiene check -';

/** The envelope field kubectl could not send, as a JSON pointer and a message; undefined when none. */
export function unreadableEnvelope(object: KubeObject): { pointer: string; message: string } | undefined {
  const fields: [string, unknown][] = [
    ['/kind', object.kind],
    ['/apiVersion', object.apiVersion],
  ];
  const metadata: unknown = object.metadata;
  if (metadata !== undefined && metadata !== null && !isJsonObject(metadata))
    return { pointer: '/metadata', message: `metadata is ${shape(metadata)}, not a mapping (${RENDER})` };
  if (isJsonObject(metadata)) {
    for (const field of ['name', 'namespace', 'generateName'])
      fields.push([`/metadata/${field}`, metadata[field]]);
  }
  for (const [pointer, value] of fields) {
    const name = pointer.slice(1).replace('/', '.');
    if (value === undefined && pointer === '/apiVersion')
      return {
        pointer: '/kind',
        message: `kind ${String(object.kind)} has no apiVersion, which kubectl requires`,
      };
    if (value === undefined || value === null || typeof value === 'string') continue;
    return { pointer, message: `${name} is ${shape(value)}, not a string (${RENDER})` };
  }
  return undefined;
}
