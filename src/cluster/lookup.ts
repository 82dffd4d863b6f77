// What rules may ask about the cluster: two questions, answered from the informer cache or a
// direct read under the request's deadline. Rules get this narrow interface, never an informer,
// so tests hand them an object literal.

/** `spec.scaleTargetRef` of an HPA (autoscaling/v1 and v2 agree on this shape). */
export interface ScaleTargetRef {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly name: string;
}

export const TargetState = {
  found: 'found',
  missing: 'missing',
  /** The API could not be asked (403, timeout, refused): say so, never guess. */
  unknown: 'unknown',
  /** A kind this view does not judge (not served, or not scalable). */
  unjudged: 'unjudged',
} as const;
export type TargetState = (typeof TargetState)[keyof typeof TargetState];

export type TargetLookup =
  | { readonly state: typeof TargetState.found | typeof TargetState.missing }
  | { readonly state: typeof TargetState.unknown | typeof TargetState.unjudged; readonly reason: string };

export type HpaLookup =
  | { readonly state: typeof TargetState.found; readonly hpas: readonly string[] }
  | { readonly state: typeof TargetState.unknown; readonly reason: string };

export interface ClusterLookup {
  /** Whether the object an HPA in `namespace` scales exists. */
  scaleTarget(namespace: string, ref: ScaleTargetRef): Promise<TargetLookup>;
  /** Names of the HPAs in `namespace` that scale this object. */
  hpasTargeting(namespace: string, kind: string, name: string): Promise<HpaLookup>;
}

/** Kinds the view keeps informers for, with the API groups that serve them. */
export const WATCHED_TARGET_KINDS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['apps', 'extensions'],
  StatefulSet: ['apps'],
  ReplicaSet: ['apps', 'extensions'],
};

export function groupOfApiVersion(apiVersion: string | undefined): string | undefined {
  if (apiVersion === undefined || apiVersion === '') return undefined;
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/** True when `ref` names a watched kind (an absent apiVersion is read as the kind's own group). */
export function isWatchedTarget(ref: ScaleTargetRef): boolean {
  const groups = WATCHED_TARGET_KINDS[ref.kind];
  const group = groupOfApiVersion(ref.apiVersion);
  return groups !== undefined && (group === undefined || groups.includes(group));
}
