// A ReplicaSet stamped from a Deployment (a Job from a CronJob) was previewed, or written, at its
// owner. Patching its template alone would make it differ from the owner's, and the Deployment
// controller would create a new ReplicaSet for the template it cannot find, again and again.
import type { KubeObject } from '../kube/workload.js';

export function hasControllerOwner(object: KubeObject): boolean {
  const owners: unknown = object.metadata?.ownerReferences;
  return (
    Array.isArray(owners) && owners.some((ref: { controller?: unknown } | null) => ref?.controller === true)
  );
}
