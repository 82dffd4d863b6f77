// One review asks registries about at most MAX_IMAGES_PER_REQUEST distinct images: a pod naming
// thousands must not send thousands of requests (and DNS queries) ahead of every other review's.
// The registry here is the stand-in on 127.0.0.1, which records what it was asked.
import t from 'tap';
import type { V1PodSpec } from '@kubernetes/client-node';
import { MAX_IMAGES_PER_REQUEST, RegistryLookups, type LookupResult } from '../../src/images/image-lookup.js';
import { RegistryClient } from '../../src/images/registry/client.js';
import { LookupBudget } from '../../src/images/lookup-budget.js';
import { parseImageReference, type ImageReference } from '../../src/images/reference.js';
import { parsePolicy } from '../../src/policy/load.js';
import { startFaultServer } from '../harness/registry/fault-server.js';
import { admit, pod } from '../rules/registry-admit.js';

const faults = await startFaultServer();
t.teardown(faults.close);
const registries = { [faults.host]: { insecure: true, allowPrivateAddress: true } };
const ref = (i: number) =>
  (parseImageReference(`${faults.host}/img-${i}:v1.0.0`) as { ref: ImageReference }).ref;
const repositoriesAsked = () => new Set(faults.requests.map((r) => r.url.split('/')[2])).size;

t.test('past the cap, images are not looked up, and say why', async (t) => {
  const results: LookupResult[] = [];
  const lookups = new RegistryLookups(new RegistryClient({ registries }), (r) => results.push(r));
  const images = lookups.forRequest({ namespace: 'team', deadline: new LookupBudget(10_000) });
  const spec = { containers: [] } as V1PodSpec;
  const n = MAX_IMAGES_PER_REQUEST + 150;
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => images.platforms(ref(i), spec)));
  t.equal(
    repositoriesAsked(),
    MAX_IMAGES_PER_REQUEST,
    `the registry was asked about ${MAX_IMAGES_PER_REQUEST} images`,
  );
  const notAsked = answers.filter((a) => !a.ok && a.failure === 'too-many-images');
  t.equal(notAsked.length, 150);
  t.match(notAsked[0], { message: /not looked up: this review names more than 100 images/ });
  t.equal(results.filter((r) => r === 'too-many-images').length, 150, 'counted as their own result');
  // The same image again, and a digest lookup of an image already asked, stay within the cap.
  t.notMatch(await images.platforms(ref(0), spec), { failure: 'too-many-images' });
  t.notMatch(await images.digest(ref(1), spec), { failure: 'too-many-images' });
  // Each review has its own count.
  const next = lookups.forRequest({ namespace: 'team', deadline: new LookupBudget(10_000) });
  t.notMatch(await next.platforms(ref(n - 1), spec), { failure: 'too-many-images' });
});

t.test('node-arch on a pod of too many images: unpinned, with bounded warnings saying why', async (t) => {
  const policy = parsePolicy(
    'rules: { image-tag: { action: off }, pod-identity-env: { action: off }, image-exists: { action: off } }',
    'cap.yaml',
  );
  const registry = new RegistryLookups(new RegistryClient({ registries }));
  const containers = Array.from({ length: 300 }, (_, i) => ({
    name: `c${i}`,
    image: `${faults.host}/many-${i}:v1.0.0`,
  }));
  const { response, ops } = await admit(pod(containers), { policy, deps: { registry } });
  t.equal(response.allowed, true);
  t.same(ops, []);
  t.ok(
    response.warnings!.some((w) => /\(too-many-images\): not looked up/.test(w)),
    'the reason is given',
  );
  t.ok(Buffer.byteLength(response.warnings!.join('')) <= 4096);
});
