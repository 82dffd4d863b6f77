// An AdmissionRequest for an object judged offline: what the API server would send when a
// person applies it, so offline verdicts are the webhook's verdicts.
import { randomUUID } from 'node:crypto';
import type { AdmissionRequest } from './review.js';
import { isClusterScoped } from '../kube/scope.js';
import type { KubeObject } from '../kube/workload.js';
import type { Operation } from '../rules/rule.js';

export const OFFLINE_USER = 'kube-hygiene-offline';

export interface RequestOptions {
  readonly operation?: Operation;
  /** For a namespaced object that names none; a cluster-scoped kind never gets one. */
  readonly namespace?: string;
  readonly oldObject?: KubeObject;
  readonly username?: string;
  readonly dryRun?: boolean;
}

function splitApiVersion(apiVersion: unknown): { group: string; version: string } {
  const text = typeof apiVersion === 'string' ? apiVersion : '';
  const slash = text.indexOf('/');
  return slash === -1
    ? { group: '', version: text }
    : { group: text.slice(0, slash), version: text.slice(slash + 1) };
}

export function requestFor(object: KubeObject, options: RequestOptions = {}): AdmissionRequest {
  const operation = options.operation ?? 'CREATE';
  const subject = operation === 'DELETE' ? (options.oldObject ?? object) : object;
  const { group, version } = splitApiVersion(subject.apiVersion);
  const kind = { group, version, kind: typeof subject.kind === 'string' ? subject.kind : '' };
  return {
    uid: randomUUID(),
    kind,
    requestKind: kind,
    name: subject.metadata?.name ?? '',
    // A cluster-scoped object is in no namespace, whatever its metadata or -n say.
    namespace: isClusterScoped(group, kind.kind)
      ? ''
      : (options.namespace ?? subject.metadata?.namespace ?? 'default'),
    operation,
    userInfo: { username: options.username ?? OFFLINE_USER },
    object: operation === 'DELETE' ? null : object,
    oldObject: options.oldObject ?? null,
    dryRun: options.dryRun ?? false,
  };
}
