// pod-identity-env end to end: the real server over real TLS, the patch decoded from the wire and
// applied with a real RFC 6902 implementation, as the API server would.
import t, { type Test } from 'tap';
import jsonPatch from 'fast-json-patch';
import { requestFor } from '../../src/admission/object-request.js';
import type { KubeObject } from '../../src/kube/workload.js';
import { startTestServer } from '../harness/server.js';

const server = await startTestServer();
t.teardown(() => server.stop());

const IMAGE = 'ghcr.io/acme/api:v1.4.2';
const POD_NAME = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
const POD_NAMESPACE = { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } };

const podWith = (sidecarEnv?: object[]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-0',
    namespace: 'team',
    labels: { 'app.kubernetes.io/name': 'web' },
    annotations: { 'example.com/owner~team': 'platform' },
  },
  spec: {
    containers: [
      { name: 'app', image: IMAGE },
      { name: 'log-shipper', image: IMAGE, ...(sidecarEnv && { env: sidecarEnv }) },
    ],
  },
});

interface Answer {
  response: { uid: string; allowed: boolean; patch?: string; patchType?: string; warnings?: string[] };
}

async function post(t: Test, endpoint: 'mutate' | 'validate', object: KubeObject, dryRun = false) {
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: requestFor(object, { dryRun }),
  };
  const res = await server.post(`/${endpoint}?timeout=10s`, review);
  t.equal(res.status, 200, `/${endpoint} answers 200`);
  const { response } = res.json<Answer>();
  t.equal(response.uid, review.request.uid);
  const ops: jsonPatch.Operation[] = response.patch
    ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'))
    : [];
  return {
    response,
    ops,
    patched: jsonPatch.applyPatch(structuredClone(object), ops, true, false).newDocument,
  };
}

t.test('/mutate returns a patch that gives the expected Pod; /validate returns none', async (t) => {
  const original = podWith();
  const mutated = await post(t, 'mutate', original);
  t.equal(mutated.response.allowed, true);
  t.equal(mutated.response.patchType, 'JSONPatch');
  t.strictSame(mutated.patched, podWith([POD_NAME, POD_NAMESPACE]));

  const validated = await post(t, 'validate', original);
  t.equal(validated.response.allowed, true);
  t.notOk(validated.response.patch, 'the validating webhook never carries a patch');
  t.notOk(validated.response.patchType);
});

t.test('reinvocation with the patched Pod yields no patch; dry-run gets the same patch', async (t) => {
  const original = podWith([{ name: 'LEVEL', value: 'info' }]);
  const first = await post(t, 'mutate', original);
  t.strictSame(first.patched, podWith([{ name: 'LEVEL', value: 'info' }, POD_NAME, POD_NAMESPACE]));
  const second = await post(t, 'mutate', first.patched as KubeObject);
  t.notOk(second.response.patch, 'reinvocationPolicy IfNeeded: nothing more to do');
  const dry = await post(t, 'mutate', original, true);
  t.strictSame(dry.ops, first.ops);
});
