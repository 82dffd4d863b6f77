// The resources the stand-in serves and the discovery documents that describe them, in the
// shapes a real API server answers /api, /apis and /apis/<group>/<version> with.
// https://kubernetes.io/docs/reference/using-api/api-concepts/#discovery-api

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** Subresources listed in discovery (`scale` for kinds an HPA can target). */
  readonly subresources: readonly string[];
  /** What kubectl accepts for the plural (`hpa`, `deploy`). */
  readonly shortNames: readonly string[];
}

const type = (
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced = true,
  subresources: string[] = [],
  shortNames: string[] = [],
): ResourceType => ({ group, version, kind, plural, namespaced, subresources, shortNames });

export const RESOURCE_TYPES: readonly ResourceType[] = [
  type('', 'v1', 'Namespace', 'namespaces', false, [], ['ns']),
  type('', 'v1', 'Pod', 'pods'),
  type('', 'v1', 'ServiceAccount', 'serviceaccounts', true, [], ['sa']),
  type('', 'v1', 'Secret', 'secrets'),
  type('', 'v1', 'ReplicationController', 'replicationcontrollers', true, ['scale', 'status'], ['rc']),
  type('apps', 'v1', 'Deployment', 'deployments', true, ['scale', 'status'], ['deploy']),
  type('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['scale', 'status'], ['sts']),
  type('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['scale', 'status'], ['rs']),
  type('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['status'], ['ds']),
  type('batch', 'v1', 'Job', 'jobs', true, ['status']),
  type('batch', 'v1', 'CronJob', 'cronjobs', true, ['status'], ['cj']),
  type('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, ['status'], ['hpa']),
  type('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, ['status'], ['hpa']),
  // A custom resource with a /scale subresource, as a CRD would add.
  type('example.com', 'v1', 'Widget', 'widgets', true, ['scale']),
];

export const apiVersionOf = (t: ResourceType) => (t.group ? `${t.group}/${t.version}` : t.version);

export function findType(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

/** Objects are stored once per group and kind, whatever version they are read through. */
export const storageKey = (t: ResourceType) => `${t.group}/${t.kind}`;

export function coreVersions() {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
}

export function groupList() {
  const groups = new Map<string, string[]>();
  for (const t of RESOURCE_TYPES) {
    if (!t.group) continue;
    const versions = groups.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    groups.set(t.group, versions);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: list, preferredVersion: list[0] };
    }),
  };
}

export function resourceList(group: string, version: string) {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  if (!types.length) return undefined;
  const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
  const resources = types.flatMap((t) => [
    {
      name: t.plural,
      singularName: t.kind.toLowerCase(),
      namespaced: t.namespaced,
      kind: t.kind,
      verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    },
    ...t.subresources.map((sub) => ({
      name: `${t.plural}/${sub}`,
      singularName: '',
      namespaced: t.namespaced,
      kind: sub === 'scale' ? 'Scale' : t.kind,
      verbs: ['get', 'patch', 'update'],
    })),
  ]);
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}
