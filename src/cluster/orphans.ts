// HPAs already scaling nothing, for `kube-hygiene audit`: each HPA's target is looked up the
// way the admission rule does it. Targets that cannot be checked are listed apart, never
// counted as orphaned or as fine.
import { TargetState, type ClusterLookup, type ScaleTargetRef } from './lookup.js';
import type { SlimHpa } from './slim.js';

export interface OrphanedHpa {
  readonly namespace: string;
  readonly name: string;
  readonly target: ScaleTargetRef;
}

export interface OrphanReport {
  readonly orphaned: readonly OrphanedHpa[];
  readonly unchecked: readonly (OrphanedHpa & { readonly reason: string })[];
}

export async function findOrphanedHpas(
  hpas: readonly SlimHpa[],
  cluster: ClusterLookup,
): Promise<OrphanReport> {
  const orphaned: OrphanedHpa[] = [];
  const unchecked: (OrphanedHpa & { reason: string })[] = [];
  for (const hpa of hpas) {
    const entry = {
      namespace: hpa.metadata.namespace ?? '',
      name: hpa.metadata.name,
      target: hpa.spec.scaleTargetRef,
    };
    const lookup = await cluster.scaleTarget(entry.namespace, entry.target);
    if (lookup.state === TargetState.missing) orphaned.push(entry);
    else if (lookup.state === TargetState.unknown) unchecked.push({ ...entry, reason: lookup.reason });
  }
  return { orphaned, unchecked };
}
