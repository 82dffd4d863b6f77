// `kube-hygiene serve` wired to a cluster through --kubeconfig: the real server over TLS, the
// real client against the API stand-in. The server opens the view itself, waits (bounded) for
// its first sync in /readyz, counts the cached objects, and stops the watches when it stops.
// Without a connection it says once that cluster rules are off and judges everything else.
import t from 'tap';
import { startTestServer } from '../harness/server.js';
import { startApiWithKubeconfig } from '../harness/apiserver/kubeconfig.js';
import { reviewOf } from '../fixtures/objects.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import type { KubeObject } from '../../src/kube/workload.js';
import { readConfig } from '../../src/config.js';
import { ErrorCode, HygieneError } from '../../src/errors.js';
import { assertEventually, hpa, namespace, workload } from './fixtures.js';

const { api, kubeconfigPath } = await startApiWithKubeconfig(t, [
  namespace('homelab'),
  workload('Deployment', 'homelab', 'whisper'),
  workload('StatefulSet', 'homelab', 'postgres'),
  hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }),
]);

const hpaWarnings = (r: AdmissionReviewResponse['response']) =>
  (r.warnings ?? []).filter((w) => w.startsWith('[hpa-target]'));
const sprawlPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'homelab' },
  spec: { containers: [{ name: 'app', image: 'family-assistant:fixed-final' }] },
};

t.test('--kubeconfig: the server judges against the cluster', async (t) => {
  const server = await startTestServer({
    args: ['--kubeconfig', kubeconfigPath],
    cluster: { deadlineMs: 500, retry: { firstMs: 50, maxMs: 200 } },
  });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : server.stop()));
  const validate = async (object: object) =>
    (await server.post('/validate', reviewOf(object as KubeObject))).json<AdmissionReviewResponse>().response;

  t.match(
    server.logs.find((l) => l.cluster === 'kubeconfig'),
    { level: 'info', kubeconfig: kubeconfigPath },
    'the connection is logged once',
  );
  t.notOk(
    server.logs.some((l) => /is off: no cluster connection/.test(l.msg)),
    'no "rule is off" notice',
  );
  await assertEventually(t, '/readyz turns 200 once the cache synced', async () => {
    return (await server.get('/readyz')).status === 200;
  });
  t.ok(
    server.logs.some((l) => l.cluster === 'ready' && l.msg === 'cluster cache synced'),
    'readiness logged',
  );

  t.same(
    hpaWarnings(await validate(hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }))),
    [],
  );
  t.match(
    hpaWarnings(await validate(hpa('homelab', 'stt-hpa', { kind: 'Deployment', name: 'stt' }, 'v1'))),
    [/HPA homelab\/stt-hpa scales Deployment stt, which does not exist/],
    'an HPA v1 with a missing target warns',
  );
  const whisper = workload('Deployment', 'homelab', 'whisper') as KubeObject;
  const deleting = reviewOf(whisper, { operation: 'DELETE', oldObject: whisper });
  const deleted = (await server.post('/validate', deleting)).json<AdmissionReviewResponse>().response;
  t.equal(deleted.allowed, true, 'a DELETE is never denied');
  t.match(hpaWarnings(deleted), [/HPA homelab\/whisper-hpa will be left targeting nothing: delete it too/]);

  const metrics = await server.metrics();
  t.match(metrics, /kube_hygiene_cache_entries\{cache="deployments"\} 1\n/);
  t.match(metrics, /kube_hygiene_cache_entries\{cache="statefulsets"\} 1\n/);
  t.match(metrics, /kube_hygiene_cache_entries\{cache="horizontalpodautoscalers"\} 1\n/);
  api.store.put(workload('Deployment', 'homelab', 'family-assistant'));
  await assertEventually(t, 'the gauge follows the watch', async () =>
    /kube_hygiene_cache_entries\{cache="deployments"\} 2\n/.test(await server.metrics()),
  );

  t.equal((await validate(sprawlPod)).allowed, false, 'enforced by the policy');
  api.store.put(namespace('homelab', 'audit'));
  await assertEventually(t, 'the namespace label moves homelab to audit', async () => {
    return (await validate(sprawlPod)).allowed === true;
  });
  api.store.put(namespace('homelab'));

  t.ok(api.openWatches() > 0, 'watches are open while serving');
  stopped = true;
  t.equal(await server.stop(), true);
  await assertEventually(t, 'stopping the server ends its watches', () => api.openWatches() === 0);
});

t.test('API down at start-up: /readyz waits, bounded, then serves with direct reads', async (t) => {
  await api.down();
  t.teardown(() => api.up());
  const server = await startTestServer({
    args: ['--kubeconfig', kubeconfigPath],
    cluster: { deadlineMs: 300, syncGraceMs: 600, retry: { firstMs: 50, maxMs: 200 } },
  });
  t.teardown(() => server.stop());
  const ready = await server.get('/readyz');
  t.equal(ready.status, 503);
  t.match(ready.json(), { reasons: [/^cluster cache: waiting for the first list of deployments/] });
  const started = Date.now();
  const answer = (
    await server.post(
      '/validate',
      reviewOf(hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }) as KubeObject),
    )
  ).json<AdmissionReviewResponse>().response;
  t.equal(answer.allowed, true);
  t.match(hpaWarnings(answer), [/could not check/]);
  t.ok(Date.now() - started < 1500, `answered in ${Date.now() - started} ms`);
  await assertEventually(t, 'ready once the grace period is over', async () => {
    return (await server.get('/readyz')).status === 200;
  });
  t.ok(
    server.logs.some((l) => l.cluster === 'ready' && /without a synced cache/.test(l.msg)),
    'says it serves without a synced cache',
  );
});

t.test('no connection: the notice is logged once; every other rule still judges', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.stop());
  const notices = server.logs.filter((l) => /is off: no cluster connection/.test(l.msg));
  t.equal(notices.length, 1);
  t.match(notices[0], { level: 'warn', msg: /^hpa-target is off: .*pass --kubeconfig/ });
  t.equal((await server.get('/readyz')).status, 200, 'no cluster cache to wait for');
  const orphan = await server.post(
    '/validate',
    reviewOf(hpa('homelab', 'stt-hpa', { kind: 'Deployment', name: 'stt' }) as KubeObject),
  );
  t.same(hpaWarnings(orphan.json<AdmissionReviewResponse>().response), [], 'hpa-target judges nothing');
  const pod = await server.post('/validate', reviewOf(sprawlPod));
  t.equal(pod.json<AdmissionReviewResponse>().response.allowed, false, 'image rules still deny');
  t.notMatch(await server.metrics(), /kube_hygiene_cache_entries\{cache="deployments"\}/);
});

t.test('an unusable --kubeconfig stops the start with a usage error', async (t) => {
  const server = startTestServer({ args: ['--kubeconfig', '/nonexistent/config'] });
  const failed = await server.catch((e: unknown) => e);
  t.ok(failed instanceof HygieneError);
  t.equal((failed as HygieneError).code, ErrorCode.USAGE);
  t.match((failed as Error).message, /\/nonexistent\/config.*--kubeconfig/);
});

t.test('KUBECONFIG names the cluster like --kubeconfig; its first entry wins', async (t) => {
  const config = readConfig(['--dev'], { KUBECONFIG: `:${kubeconfigPath}:/other/config` });
  t.equal(config.kubeconfig, kubeconfigPath);
  t.equal(readConfig(['--dev', '--kubeconfig', '/flag'], { KUBECONFIG: '/env' }).kubeconfig, '/flag');
  t.equal(readConfig(['--dev'], {}).kubeconfig, undefined);
});
