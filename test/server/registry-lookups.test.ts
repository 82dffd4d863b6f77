// The server with registry lookups, over real TLS, against a real registry on 127.0.0.1: Pods
// are pinned on /mutate, a Deployment's dry run previews it on /validate, lookups are counted
// in the metrics, a policy reload rebuilds the client with the new registry settings, and a
// registry that hangs is cut off inside the API server's ?timeout= with a warning.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import jsonPatch from 'fast-json-patch';
import { requestFor } from '../../src/admission/object-request.js';
import type { KubeObject } from '../../src/kube/workload.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import { AuthMode, startSeededRegistry } from '../harness/registry/registries.js';
import { startFaultServer } from '../harness/registry/fault-server.js';
import { eventually } from '../harness/eventually.js';
import { startTestServer } from '../harness/server.js';
import { deployment, pod } from '../rules/registry-admit.js';

const seeded = await startSeededRegistry(AuthMode.plain);
t.teardown(seeded.stop);
const faults = await startFaultServer();
t.teardown(faults.close);
const host = seeded.registry.host;
const AMD64 = `${host}/amd64only:v2.1.0`;
const HANGING = `${faults.host}/slow-headers:v1.0.0`;

const policyYaml = (registries: string) => `registries: ${registries}
rules: { image-tag: { action: off }, pod-identity-env: { action: off } }
`;
const reachable = `{ "${host}": { insecure: true, allowPrivateAddress: true }, "${faults.host}": { insecure: true, allowPrivateAddress: true } }`;

const review = (object: KubeObject, dryRun = false) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: requestFor(object, { dryRun }),
});

const server = await startTestServer({ policy: policyYaml(reachable), registryLookups: true });
t.teardown(() => server.stop());

async function post(path: string, object: KubeObject, dryRun = false) {
  const res = await server.post(path, review(object, dryRun));
  t.equal(res.status, 200);
  return res.json<AdmissionReviewResponse>().response;
}

t.test('a Pod is pinned on /mutate; a Deployment dry run previews it on /validate', async (t) => {
  const object = pod([{ name: 'api', image: AMD64 }]);
  const mutated = await post('/mutate', object);
  t.equal(mutated.allowed, true);
  const ops = JSON.parse(Buffer.from(mutated.patch!, 'base64').toString('utf8'));
  const patched = jsonPatch.applyPatch(structuredClone(object), ops, true, false).newDocument;
  t.same((patched.spec as { nodeSelector: unknown }).nodeSelector, { 'kubernetes.io/arch': 'amd64' });

  const validated = await post('/validate', deployment([{ name: 'api', image: AMD64 }]), true);
  t.match(validated.warnings?.join('\n'), /pods will be pinned to kubernetes\.io\/arch=amd64/);

  const metrics = await server.metrics();
  t.match(metrics, /kube_hygiene_registry_lookups_total\{result="ok"\} [1-9]/, 'the registry was asked');
  // The Deployment's template names the image the Pod just resolved: answered from the caches.
  t.match(metrics, /kube_hygiene_registry_lookups_total\{result="cached"\} [1-9]/, 'then the cache answered');
  t.match(metrics, /kube_hygiene_cache_entries\{cache="registry-content"\} [1-9]/);
  t.notMatch(
    metrics,
    /registry_lookups_total\{[^}]*(amd64only|127\.0\.0\.1|:\/\/)/,
    'no image in any label (too-many-images is a result, not an image)',
  );
});

t.test('a registry that hangs is cut off inside ?timeout=, with a warning saying so', async (t) => {
  const started = Date.now();
  const res = await server.post('/mutate?timeout=1s', review(pod([{ name: 'api', image: HANGING }])));
  const { response } = res.json<AdmissionReviewResponse>();
  t.ok(Date.now() - started < 1000, 'answered inside the caller timeout');
  t.equal(response.allowed, true);
  t.equal(response.patch, undefined);
  t.match(response.warnings?.join('\n'), /not pinned to an architecture: .*\(timeout\)/);
  t.notMatch(response.warnings?.join('\n'), /unchecked/, 'the rules answered, not the late fallback');
});

t.test('a registry answering 429 with Retry-After: 0 is not asked on every review', async (t) => {
  const asked = () => faults.requests.filter((r) => r.url.startsWith('/v2/rate-limited-now/')).length;
  const warnings: string[] = [];
  let allowed = 0;
  // 30 Pods in 6 s, one every 200 ms, each with an image of its own on that registry.
  for (let i = 0; i < 30; i++) {
    const image = `${faults.host}/rate-limited-now:v1.0.${i}`;
    const response = await post('/mutate?timeout=2s', pod([{ name: 'api', image }]));
    if (response.allowed) allowed++;
    warnings.push(response.warnings?.join('\n') ?? '');
    await new Promise((r) => setTimeout(r, 200));
  }
  t.equal(allowed, 30, 'every Pod admitted, unpinned');
  // Pauses of 1 s, 2 s, 4 s from the first 429: asked at about 0, 1 and 3 s (a fourth time at
  // 7 s when this machine is slow), never once per review.
  t.ok(asked() >= 2 && asked() <= 4, `${asked()} of 30 reviews reached the registry`);
  t.match(warnings[0], /not pinned to an architecture: .*answered 429; resting it for 1 s/);
  t.ok(
    warnings.filter((w) => /\(backing-off\): .*not asking it again for \d+ s/.test(w)).length >= 26,
    'the others were told it is resting',
  );
});

t.test('a policy reload rebuilds the client with the new registry settings', async (t) => {
  const before = server.logs.filter((l) => l.msg === 'registry client ready').length;
  writeFileSync(server.policyFile!, policyYaml('{}'));
  await eventually(
    () =>
      server.logs.filter((l) => l.msg === 'registry client ready').length > before ||
      server.logs.some((l) => l.msg === 'policy reloaded'),
    5000,
    'the reload',
  );
  const response = await post('/mutate', pod([{ name: 'api', image: AMD64 }]));
  t.equal(response.allowed, true);
  t.match(response.warnings?.join('\n'), /\(blocked-address\)/, 'loopback is refused once the entry is gone');
  t.equal(server.logs.filter((l) => l.msg === 'registry client ready').length, before + 1);
});
