// What the soak sends, in the proportions an API server would: pods and workloads through both
// webhooks, pods whose images are looked up in the soak's own registry (node-arch pins them),
// HPAs whose targets the cluster view checks, and Deployment DELETEs (HPAs listed). Each answer
// is also sorted into what it showed, so the report can say the lookups and checks really ran.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestFor } from '../../src/admission/object-request.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import type { KubeObject } from '../../src/kube/workload.js';
import { REPO } from '../harness/server-process.js';
import { hpa, workload } from '../cluster/fixtures.js';

export const SOAK_NAMESPACE = 'soak';
/** Deployments seeded in the stand-in; each has an HPA. */
export const SEEDED_DEPLOYMENTS = 20;

export interface Call {
  readonly path: string;
  readonly body: string;
  /** Names what the answer showed (`node-arch pinned`, `hpa target missing`...), or undefined for plain calls. */
  readonly classify?: (response: AdmissionReviewResponse['response']) => string;
}

const file = (name: string) => readFileSync(join(REPO, name), 'utf8');
const review = (object: KubeObject, options: Parameters<typeof requestFor>[1] = {}) =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: requestFor(object, options),
  });

function pod(name: string, images: readonly string[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: SOAK_NAMESPACE },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
  };
}

const hpaWarnings = (r: AdmissionReviewResponse['response']) =>
  (r.warnings ?? []).filter((w) => w.startsWith('[hpa-target]')).join('\n');

function pinning(r: AdmissionReviewResponse['response']): string {
  if (!r.allowed) return 'node-arch denied';
  const patch = r.patch ? Buffer.from(r.patch, 'base64').toString('utf8') : '';
  if (patch.includes('kubernetes.io~1arch') || patch.includes('kubernetes.io/arch'))
    return 'node-arch pinned';
  return 'node-arch not pinned';
}

function targetCheck(r: AdmissionReviewResponse['response']): string {
  const warnings = hpaWarnings(r);
  if (/could not check/.test(warnings)) return 'hpa could not check';
  if (/which does not exist/.test(warnings)) return 'hpa target missing';
  return 'hpa target found';
}

function orphanCheck(r: AdmissionReviewResponse['response']): string {
  const warnings = hpaWarnings(r);
  if (/could not check/.test(warnings)) return 'delete could not check';
  return /will be left targeting nothing/.test(warnings) ? 'delete names its HPA' : 'delete names no HPA';
}

export function callMix(registryHost: string): Call[] {
  const examplePod = file('examples/reviews/pod-create.json');
  const image = (repo: string) => `${registryHost}/${repo}`;
  const target = workload('Deployment', SOAK_NAMESPACE, 'app-3') as KubeObject;
  return [
    { path: '/validate?timeout=10s', body: examplePod },
    { path: '/mutate?timeout=10s', body: examplePod },
    { path: '/validate?timeout=10s', body: file('examples/reviews/deployment-create.json') },
    { path: '/validate?timeout=10s', body: file('examples/reviews/deployment-create-allowed.json') },
    { path: '/validate?timeout=10s', body: file('bench/reviews/deployment-update.json') },
    {
      path: '/mutate?timeout=5s',
      body: review(pod('multi', [image('multi:v1.0.0'), image('amd64only:v2.1.0')])),
      classify: pinning,
    },
    { path: '/mutate?timeout=5s', body: review(pod('list', [image('dockerlist:1.0')])), classify: pinning },
    {
      path: '/validate?timeout=5s',
      body: review(hpa(SOAK_NAMESPACE, 'h', { kind: 'Deployment', name: 'app-7' }) as KubeObject),
      classify: targetCheck,
    },
    {
      path: '/validate?timeout=5s',
      body: review(hpa(SOAK_NAMESPACE, 'h', { kind: 'Deployment', name: 'gone' }) as KubeObject),
      classify: targetCheck,
    },
    {
      path: '/validate?timeout=5s',
      body: review(target, { operation: 'DELETE', oldObject: target }),
      classify: orphanCheck,
    },
  ];
}
