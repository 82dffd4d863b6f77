// The cluster view when the API server misbehaves: watches cut, history compacted (410 Gone),
// the server down at start-up or mid-run, slow, or forbidding. Lookups always answer within
// the deadline, with a state that says what happened.
import t from 'tap';
import { standInWithView, workload, hpa, assertEventually } from './fixtures.js';
import type { ApiServer } from '../harness/apiserver/server.js';

const DEPLOYMENTS = 'GET /apis/apps/v1/deployments';
const lists = (api: ApiServer) =>
  api.requests.filter((r) => r.startsWith(DEPLOYMENTS) && !r.includes('watch=true'));
const watches = (api: ApiServer) =>
  api.requests.filter((r) => r.startsWith(DEPLOYMENTS) && r.includes('watch=true'));
const cached = (view: unknown, namespace: string, name: string) =>
  (view as { targets: { Deployment: { get(n: string, ns: string): unknown } } }).targets.Deployment.get(
    name,
    namespace,
  );

t.test('a dropped watch is resumed from the last resourceVersion, without listing again', async (t) => {
  const { api, view } = await standInWithView(t, [workload('Deployment', 'homelab', 'whisper')]);
  await view.waitForSync(5000);
  await assertEventually(t, 'watches are open', () => api.openWatches() === 5);
  const listed = lists(api).length;
  const lastRv = api.store.resourceVersion;
  t.equal(api.dropWatches(), 5, 'every watch cut');
  api.store.put(workload('Deployment', 'homelab', 'after-drop'));
  await assertEventually(
    t,
    'the change made while cut arrives',
    () => cached(view, 'homelab', 'after-drop') !== undefined,
  );
  t.equal(lists(api).length, listed, 'no re-list');
  t.ok(
    watches(api).some((r) => r.includes(`resourceVersion=${lastRv}`)),
    `resumed from ${lastRv}`,
  );
});

t.test('410 Gone after compaction lists again and catches up, deletions included', async (t) => {
  const { api, view } = await standInWithView(t, [
    workload('Deployment', 'homelab', 'whisper'),
    workload('Deployment', 'homelab', 'doomed'),
  ]);
  await view.waitForSync(5000);
  await assertEventually(t, 'watches are open', () => api.openWatches() === 5);
  const listed = lists(api).length;
  await api.down();
  api.store.delete('apps/v1', 'Deployment', 'homelab', 'doomed');
  api.store.put(workload('Deployment', 'homelab', 'newcomer'));
  api.store.compact();
  await api.up();
  await assertEventually(t, 'the new one is cached', () => cached(view, 'homelab', 'newcomer') !== undefined);
  await assertEventually(
    t,
    'the deleted one is gone from the cache',
    () => cached(view, 'homelab', 'doomed') === undefined,
  );
  t.ok(lists(api).length > listed, 'listed again after 410');
});

t.test('bookmarks move the resume point forward', async (t) => {
  const { api, view } = await standInWithView(t, [workload('Deployment', 'homelab', 'whisper')]);
  await view.waitForSync(5000);
  await assertEventually(t, 'watches are open', () => api.openWatches() === 5);
  api.store.put(hpa('homelab', 'unrelated', { kind: 'Deployment', name: 'whisper' }));
  api.bookmark();
  const bookmarked = api.store.resourceVersion;
  await new Promise((resolve) => setTimeout(resolve, 100));
  api.dropWatches();
  await assertEventually(t, 'the deployments watch resumes from the bookmark', () =>
    watches(api).some((r) => r.includes(`resourceVersion=${bookmarked}`)),
  );
});

t.test(
  'API down at start-up: lookups answer "unknown" within the deadline; the view syncs once it is up',
  async (t) => {
    const { api, view } = await standInWithView(t, [workload('Deployment', 'homelab', 'whisper')], {
      deadlineMs: 300,
      syncGraceMs: 400,
    });
    await api.down();
    const started = Date.now();
    const answer = await view.scaleTarget('homelab', { kind: 'Deployment', name: 'whisper' });
    t.equal(answer.state, 'unknown');
    t.ok(Date.now() - started < 1000, `answered in ${Date.now() - started} ms`);
    const deleting = await view.hpasTargeting('homelab', 'Deployment', 'whisper');
    t.equal(deleting.state, 'unknown', 'HPAs cannot be listed either');
    t.equal(view.readiness().ready, false);
    t.match(view.readiness().detail, /waiting for the first list of deployments/);
    await new Promise((resolve) => setTimeout(resolve, 450));
    t.equal(view.readiness().ready, true, 'after the grace period: ready, reading directly');
    t.match(view.readiness().detail, /without a synced cache/);
    await api.up();
    t.equal(await view.waitForSync(5000), true, 'synced once the API is back');
    t.same(await view.scaleTarget('homelab', { kind: 'Deployment', name: 'whisper' }), { state: 'found' });
  },
);

t.test(
  'API down mid-run: the cache still answers, misses say unknown in time, then it recovers',
  async (t) => {
    const { api, view } = await standInWithView(t, [workload('Deployment', 'homelab', 'whisper')], {
      deadlineMs: 300,
    });
    await view.waitForSync(5000);
    await api.down();
    t.same(
      await view.scaleTarget('homelab', { kind: 'Deployment', name: 'whisper' }),
      { state: 'found' },
      'cache hit',
    );
    const started = Date.now();
    const miss = await view.scaleTarget('homelab', { kind: 'Deployment', name: 'absent' });
    t.equal(miss.state, 'unknown', 'a miss cannot be confirmed');
    t.ok(Date.now() - started < 1000, `answered in ${Date.now() - started} ms`);
    await api.up();
    api.store.put(workload('Deployment', 'homelab', 'later'));
    await assertEventually(t, 'changes flow again', () => cached(view, 'homelab', 'later') !== undefined);
  },
);

t.test('a slow API server costs at most the deadline', async (t) => {
  const { api, view } = await standInWithView(t, [], { deadlineMs: 200 });
  await view.waitForSync(5000);
  api.faults.latencyMs = 1000;
  const started = Date.now();
  const answer = await view.scaleTarget('homelab', { kind: 'Deployment', name: 'whisper' });
  const took = Date.now() - started;
  t.equal(answer.state, 'unknown');
  t.match(answer, { reason: /no answer within 200 ms/ });
  t.ok(took < 700, `answered in ${took} ms`);
  api.faults.latencyMs = 0;
});

t.test('403 from RBAC is reported, not guessed', async (t) => {
  const { api, view } = await standInWithView(t);
  await view.waitForSync(5000);
  api.faults.forbidden.push(/\/namespaces\/locked\//);
  const answer = await view.scaleTarget('locked', { kind: 'Deployment', name: 'whisper' });
  t.match(answer, { state: 'unknown', reason: /403/ });
  const custom = await view.scaleTarget('locked', {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    name: 'w',
  });
  t.match(custom, { state: 'unknown', reason: /403/ });
});

t.test(
  'a hung API server: lists and watch starts are abandoned, and the cache catches up once it answers',
  async (t) => {
    const { api, view } = await standInWithView(t, [workload('Deployment', 'homelab', 'whisper')], {
      retry: { firstMs: 50, maxMs: 200, requestMs: 300 },
    });
    await view.waitForSync(5000);
    await assertEventually(t, 'watches are open', () => api.openWatches() === 5);
    api.faults.hang = true;
    api.dropWatches();
    await assertEventually(t, 'the watches restart into the hang', () => api.heldRequests() >= 5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    api.faults.hang = false;
    api.store.put(workload('Deployment', 'homelab', 'after-hang'));
    await assertEventually(
      t,
      'a change made after the hang reaches the cache',
      () => cached(view, 'homelab', 'after-hang') !== undefined,
    );
    await assertEventually(t, 'nothing is left waiting on the hung requests', () => api.heldRequests() === 0);
  },
);

t.test('a watch that goes silent (a partition, no reset) is given up and the cache catches up', async (t) => {
  const { api, view } = await standInWithView(t, [workload('Deployment', 'homelab', 'whisper')], {
    retry: { firstMs: 50, maxMs: 200, watchSeconds: 1 },
  });
  await view.waitForSync(5000);
  await assertEventually(t, 'watches are open', () => api.openWatches() === 5);
  t.equal(api.silenceWatches(), 5, 'every watch silenced');
  api.store.put(workload('Deployment', 'homelab', 'after-silence'));
  await assertEventually(
    t,
    'the change reaches the cache through a new watch',
    () => cached(view, 'homelab', 'after-silence') !== undefined,
    6000,
  );
});
