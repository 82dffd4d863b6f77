// The API server misbehaving under load, seen from the real server over TLS: 20 reviews in
// flight at all times (HPA creates, whose target is read from the cache or directly, and
// Deployment DELETEs, which list the HPAs) while the API stand-in stops and comes back on the
// same port, answers 403 and then 500, and hangs (new requests never answered, open watches
// silent). Every review must be answered 200 inside its ?timeout=, what could not be checked
// must be a warning (never a denial), /healthz must stay 200, and afterwards the cluster view
// must catch up by itself.
import t from 'tap';
import { startTestServer } from '../harness/server.js';
import { startApiWithKubeconfig } from '../harness/apiserver/kubeconfig.js';
import { reviewOf } from '../fixtures/objects.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import type { KubeObject } from '../../src/kube/workload.js';
import { assertEventually, hpa, namespace, workload } from '../cluster/fixtures.js';
import { startLoad, type Outcome } from './review-load.js';

const { api, kubeconfigPath } = await startApiWithKubeconfig(t, [
  namespace('homelab'),
  workload('Deployment', 'homelab', 'whisper'),
  hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }),
]);

// The production deadline for direct reads (2 s, inside the 5 s the manifests give the
// webhook); retries capped at 1 s, informer requests abandoned after 2 s and watches renewed
// every 2 s (a silent one given up after 2.5 s), so recovery shows within the test.
const server = await startTestServer({
  args: ['--kubeconfig', kubeconfigPath],
  cluster: { retry: { firstMs: 100, maxMs: 1000, requestMs: 2000, watchSeconds: 2 } },
});
t.teardown(() => server.stop());

const whisper = workload('Deployment', 'homelab', 'whisper') as KubeObject;
// What the load sends: a cache hit, a cache miss (read directly), and a DELETE (HPAs listed).
const reviews = [
  {
    what: 'HPA of an existing Deployment',
    body: reviewOf(hpa('homelab', 'a', { kind: 'Deployment', name: 'whisper' }) as KubeObject),
  },
  {
    what: 'HPA of a missing Deployment',
    body: reviewOf(hpa('homelab', 'b', { kind: 'Deployment', name: 'absent' }) as KubeObject),
  },
  {
    what: 'DELETE of a scaled Deployment',
    body: reviewOf(whisper, { operation: 'DELETE', oldObject: whisper }),
  },
];
// The manifests' timeoutSeconds (5) and a caller in more of a hurry than the direct-read deadline.
const TIMEOUTS_MS = [5000, 1000];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const couldNotCheck = (o: Outcome) => o.warnings.some((w) => /could not check|unchecked/.test(w));

async function validate(object: object) {
  const res = await server.post('/validate', reviewOf(object as KubeObject));
  return res.json<AdmissionReviewResponse>().response;
}

let outcomes: Outcome[] = [];
let health: number[] = [];

t.before(async () => {
  await assertEventually(t, 'the cache synced before the load starts', async () => {
    return (await server.get('/readyz')).status === 200;
  });
  const load = startLoad({ server, reviews, timeoutsMs: TIMEOUTS_MS, concurrency: 20 });
  const phase = (name: string) => {
    load.phase(name);
  };
  await sleep(1500);
  phase('API stopped');
  await api.down();
  await sleep(2000);
  await api.up();
  phase('API back on the same port');
  await sleep(2000);
  phase('403 to everything');
  api.faults.status = 403;
  api.dropWatches();
  await sleep(2000);
  phase('500 to everything');
  api.faults.status = 500;
  api.dropWatches();
  await sleep(2000);
  api.faults.status = undefined;
  phase('healthy again');
  await sleep(1500);
  phase('API hangs');
  // A black hole: new requests are never answered, open watches never send another byte.
  api.faults.hang = true;
  api.silenceWatches();
  await sleep(3000);
  api.faults.hang = false;
  phase('hang lifted');
  await sleep(1500);
  outcomes = await load.stop();
  health = load.health;
});

t.test('every review is answered 200 inside its deadline, through every fault', async (t) => {
  t.ok(outcomes.length > 200, `${outcomes.length} reviews sent`);
  const failed = outcomes.filter((o) => o.status !== 200 || !o.uidMatches);
  t.same(
    failed.map((o) => `${o.phase}: HTTP ${o.status} ${o.error ?? ''}`),
    [],
    'every answer is HTTP 200 with the review uid',
  );
  const late = outcomes.filter((o) => o.ms >= o.timeoutMs);
  t.same(
    late.map((o) => `${o.phase}: ${o.ms.toFixed(0)} ms of ${o.timeoutMs}`),
    [],
    'none later than its ?timeout=',
  );
  for (const timeoutMs of TIMEOUTS_MS) {
    const slowest = Math.max(...outcomes.filter((o) => o.timeoutMs === timeoutMs).map((o) => o.ms));
    t.comment(`slowest answer with ?timeout=${timeoutMs / 1000}s: ${slowest.toFixed(0)} ms`);
  }
  t.same(
    outcomes.filter((o) => o.allowed === false).map((o) => `${o.phase}: ${o.what}`),
    [],
    'never a denial',
  );
});

t.test('each fault took effect, and what could not be checked says so', async (t) => {
  for (const phase of ['API stopped', '403 to everything', '500 to everything', 'API hangs']) {
    const inPhase = outcomes.filter((o) => o.phase === phase && o.what === 'HPA of a missing Deployment');
    t.ok(inPhase.length > 0, `${phase}: ${inPhase.length} reviews of a cache miss`);
    t.ok(inPhase.some(couldNotCheck), `${phase}: a warning says the target could not be checked`);
  }
  const reasons = outcomes.flatMap((o) => o.warnings).join('\n');
  t.match(reasons, /answered 403/, 'the 403 is named');
  t.match(reasons, /answered 500/, 'the 500 is named');
  t.match(reasons, /no answer within \d+ ms|could not finish checking/, 'the hang is named');
  const healthy = outcomes.filter(
    (o) => o.phase === 'healthy again' && o.what === 'HPA of a missing Deployment',
  );
  t.ok(
    healthy.some((o) => o.warnings.some((w) => /absent, which does not exist/.test(w))),
    'between faults a missing target is reported as missing again',
  );
});

t.test('/healthz stayed 200 the whole time', async (t) => {
  t.ok(health.length > 20, `${health.length} probes`);
  t.same(
    health.filter((h) => h !== 200),
    [],
    'every probe answered 200',
  );
});

t.test('afterwards the cluster view catches up by itself', async (t) => {
  t.equal((await server.get('/readyz')).status, 200, 'ready');
  api.store.put(workload('Deployment', 'homelab', 'fresh'));
  api.store.put(hpa('homelab', 'late-hpa', { kind: 'Deployment', name: 'whisper' }));
  // The gauge counts the cache, which only the watch fills: a direct read would not move it.
  await assertEventually(t, 'the new Deployment reaches the cache through the watch', async () =>
    /kube_hygiene_cache_entries\{cache="deployments"\} 2\n/.test(await server.metrics()),
  );
  const created = await validate(hpa('homelab', 'fresh-hpa', { kind: 'Deployment', name: 'fresh' }));
  t.same(
    (created.warnings ?? []).filter((w) => w.startsWith('[hpa-target]')),
    [],
    'an HPA of the new Deployment is fine',
  );
  // Deleting reads the HPA cache once synced: the new HPA is only there if its watch came back.
  await assertEventually(t, 'a DELETE names the HPA created after the faults', async () => {
    const res = await server.post(
      '/validate',
      reviewOf(whisper, { operation: 'DELETE', oldObject: whisper }),
    );
    const warnings = res.json<AdmissionReviewResponse>().response.warnings ?? [];
    return warnings.some((w) => /late-hpa will be left targeting nothing/.test(w));
  });
  t.equal(api.heldRequests(), 0, 'no request of the view is still stuck in the hang');
});
