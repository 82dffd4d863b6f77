// Admission reviews sent to a test server over real TLS, each timed from the first byte sent
// to the last byte read, a fixed number at a time: what an API server under load would do.
import https from 'node:https';
import jsonPatch from 'fast-json-patch';
import { requestFor } from '../../src/admission/object-request.js';
import type { KubeObject } from '../../src/kube/workload.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import { request } from '../harness/tls.js';
import type { TestServer } from '../harness/server.js';

export interface TimedAnswer {
  readonly status: number;
  readonly ms: number;
  readonly response: AdmissionReviewResponse['response'];
  /** The object with the answer's patch applied (fast-json-patch, validated). */
  readonly patched: KubeObject;
}

export function reviewOf(object: KubeObject) {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: requestFor(object) };
}

/** One review to `path` (with its `?timeout=`), timed; the patch, if any, is applied. */
export async function admitOverTls(
  server: TestServer,
  path: string,
  object: KubeObject,
  agent?: https.Agent,
): Promise<TimedAnswer> {
  const body = JSON.stringify(reviewOf(object));
  const started = performance.now();
  const res = await request({ port: server.port, ca: server.ca, path, body, agent: agent ?? false });
  const ms = performance.now() - started;
  const response = res.status === 200 ? res.json<AdmissionReviewResponse>().response : undefined;
  if (!response) return { status: res.status, ms, response: undefined as never, patched: object };
  const ops: jsonPatch.Operation[] = response.patch
    ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'))
    : [];
  const patched = jsonPatch.applyPatch(structuredClone(object), ops, true, false).newDocument as KubeObject;
  return { status: res.status, ms, response, patched };
}

/** `total` reviews, `concurrency` in flight at a time, on kept-alive TLS connections. */
export async function admitUnderLoad(
  server: TestServer,
  path: string,
  object: () => KubeObject,
  { total, concurrency }: { total: number; concurrency: number },
): Promise<TimedAnswer[]> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency });
  const answers: TimedAnswer[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next += 1;
      answers.push(await admitOverTls(server, path, object(), agent));
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return answers;
}
