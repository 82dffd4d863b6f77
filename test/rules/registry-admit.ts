// Admitting objects through handleReview with registry lookups against a real registry, as
// the server does: every patch is decoded from the response and applied with fast-json-patch.
import jsonPatch from 'fast-json-patch';
import { deepFreeze } from '../fixtures/deep-freeze.js';
import { handleReview } from '../../src/admission/handle.js';
import { requestFor, type RequestOptions } from '../../src/admission/object-request.js';
import type { KubeObject } from '../../src/kube/workload.js';
import type { EngineDeps } from '../../src/admission/evaluate.js';
import type { Endpoint } from '../../src/rules/rule.js';
import type { CompiledPolicy } from '../../src/policy/compile.js';

export interface Admission extends RequestOptions {
  readonly endpoint?: Endpoint;
  readonly policy: CompiledPolicy;
  readonly deps?: Omit<EngineDeps, 'policy'>;
}

export async function admit(
  object: KubeObject,
  { endpoint = 'mutate', policy, deps, ...request }: Admission,
) {
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: requestFor(object, request),
  };
  const outcome = await handleReview(deepFreeze(structuredClone(review)), endpoint, { ...deps, policy });
  if (!outcome.answered) throw new Error(outcome.body.error.message);
  const { response } = outcome.body;
  const ops: jsonPatch.Operation[] = response.patch
    ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'))
    : [];
  const patched = jsonPatch.applyPatch(structuredClone(object), ops, true, false).newDocument as KubeObject;
  return { response, ops, patched, findings: outcome.evaluation.findings };
}

type Container = Record<string, unknown>;

export function pod(containers: Container[], spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'team' },
    spec: { ...spec, containers },
  };
}

export function deployment(containers: Container[], spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'team' },
    spec: { template: { metadata: { labels: { app: 'web' } }, spec: { ...spec, containers } } },
  };
}
