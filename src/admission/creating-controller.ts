// Objects a built-in controller creates (a Deployment's ReplicaSets, their Pods) were judged at
// the object a person wrote: their denials are softened and point there.
import type { AdmissionRequest } from './review.js';
import { isKubeObject, type KubeObject } from '../kube/workload.js';

const CONTROLLER_SA_PREFIX = 'system:serviceaccount:kube-system:';

/** The controller that created this object, when a built-in one did (its owner was already judged). */
export function creatingController(request: AdmissionRequest, object: KubeObject): string | undefined {
  // The object is whatever the caller sent: check shapes before trusting them.
  const owners: unknown = object.metadata?.ownerReferences;
  if (!Array.isArray(owners)) return undefined;
  const owner: unknown = owners.find((ref) => isKubeObject(ref) && ref.controller === true);
  if (!isKubeObject(owner)) return undefined;
  const user = request.userInfo?.username ?? '';
  const controller =
    user === 'system:kube-controller-manager'
      ? 'kube-controller-manager'
      : user.startsWith(CONTROLLER_SA_PREFIX)
        ? user.slice(CONTROLLER_SA_PREFIX.length)
        : undefined;
  return controller && `created by ${controller}; fix ${ownerToFix(object, owner)}`;
}

/**
 * The object a person wrote: a Deployment's pods are owned by a ReplicaSet named
 * `<deployment>-<pod-template-hash>`, and the Deployment is where the image must change.
 */
function ownerToFix(object: KubeObject, owner: { kind?: unknown; name?: unknown }): string {
  const kind = typeof owner.kind === 'string' ? owner.kind : 'its owner';
  const name = typeof owner.name === 'string' ? owner.name : '';
  const hash = object.metadata?.labels?.['pod-template-hash'];
  if (kind === 'ReplicaSet' && hash && name.endsWith(`-${hash}`))
    return `Deployment ${name.slice(0, -hash.length - 1)}`;
  return `${kind} ${name}`.trim();
}
