// The webhook over real TLS with the cluster view behind it: /readyz waits for the first sync,
// answers stay well-formed and inside the deadline when the API server is down at start-up
// or mid-run, and namespace labels change the verdict without a restart.
import t from 'tap';
import { startTestServer } from '../harness/server.js';
import { reviewOf } from '../fixtures/objects.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import type { KubeObject } from '../../src/kube/workload.js';
import { assertEventually, hpa, namespace, standInWithView, workload } from './fixtures.js';

const { api, view } = await standInWithView(
  t,
  [namespace('homelab'), workload('Deployment', 'homelab', 'whisper')],
  {
    deadlineMs: 500,
    syncGraceMs: 60_000,
  },
);
await api.down();
const server = await startTestServer({
  engine: { cluster: view, namespaceMode: view.namespaceMode },
  readinessChecks: {
    'cluster cache': () => {
      const { ready, detail } = view.readiness();
      return ready ? undefined : detail;
    },
  },
});
t.teardown(() => server.stop());

async function validate(object: KubeObject) {
  const started = Date.now();
  const res = await server.post('/validate?timeout=10s', reviewOf(object));
  return {
    status: res.status,
    ms: Date.now() - started,
    response: res.json<AdmissionReviewResponse>().response,
  };
}
const hpaWarnings = (r: { warnings?: string[] }) =>
  (r.warnings ?? []).filter((w) => w.startsWith('[hpa-target]'));

t.test('API down at start-up: not ready, yet every answer is well-formed and in time', async (t) => {
  const ready = await server.get('/readyz');
  t.equal(ready.status, 503);
  t.match(ready.text, /cluster cache: waiting for the first list of deployments/);
  const answer = await validate(
    hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }) as KubeObject,
  );
  t.equal(answer.status, 200);
  t.equal(answer.response.allowed, true);
  t.match(hpaWarnings(answer.response), [/could not check that Deployment homelab\/whisper/]);
  t.ok(answer.ms < 2000, `answered in ${answer.ms} ms`);
});

t.test('once the API is up: ready, and HPAs are judged', async (t) => {
  await api.up();
  await assertEventually(
    t,
    '/readyz turns 200',
    async () => (await server.get('/readyz')).status === 200,
    10_000,
  );
  const good = await validate(
    hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }) as KubeObject,
  );
  t.same(hpaWarnings(good.response), []);
  const orphan = await validate(
    hpa('homelab', 'stt-hpa', { kind: 'Deployment', name: 'stt' }, 'v1') as KubeObject,
  );
  t.match(hpaWarnings(orphan.response), [/HPA homelab\/stt-hpa scales Deployment stt, which does not exist/]);
});

t.test('a namespace label moves it to audit without a restart', async (t) => {
  const sprawl = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'homelab' },
    spec: { containers: [{ name: 'app', image: 'family-assistant:fixed-final' }] },
  };
  t.equal((await validate(sprawl)).response.allowed, false, 'the policy enforces');
  api.store.put(namespace('homelab', 'audit'));
  await assertEventually(t, 'label seen', () => view.namespaceMode('homelab') === 'audit');
  t.equal((await validate(sprawl)).response.allowed, true, 'audit: let through with warnings');
});

t.test('API down mid-run: answers stay in time', async (t) => {
  await api.down();
  const answer = await validate(
    hpa('homelab', 'new-hpa', { kind: 'Deployment', name: 'unseen' }) as KubeObject,
  );
  t.equal(answer.status, 200);
  t.equal(answer.response.allowed, true);
  t.match(hpaWarnings(answer.response), [/could not check/]);
  t.ok(answer.ms < 2000, `answered in ${answer.ms} ms`);
  t.equal((await server.get('/readyz')).status, 200, 'still ready: the cache stays, lookups fall back');
  await api.up();
});

t.test('a black-holed API costs at most the lookup deadline', async (t) => {
  api.faults.latencyMs = 5000;
  const answer = await validate(
    hpa('homelab', 'slow-hpa', { kind: 'Deployment', name: 'unseen' }) as KubeObject,
  );
  api.faults.latencyMs = 0;
  t.equal(answer.status, 200);
  t.match(hpaWarnings(answer.response), [/no answer within 500 ms/]);
  t.ok(answer.ms < 1500, `answered in ${answer.ms} ms`);
});
