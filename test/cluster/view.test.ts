// The cluster view against the API stand-in, through the real @kubernetes/client-node:
// list + watch, slim cache, direct reads on a miss, namespace modes, and the failure paths.
import t from 'tap';
import { standInWithView, workload, hpa, namespace, assertEventually } from './fixtures.js';
import { findOrphanedHpas } from '../../src/cluster/orphans.js';

t.test('syncs, answers from the cache and keeps only the fields rules read', async (t) => {
  const { api, view } = await standInWithView(t, [
    workload('Deployment', 'homelab', 'whisper'),
    workload('StatefulSet', 'homelab', 'postgres'),
    workload('ReplicaSet', 'homelab', 'legacy'),
    hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }),
    namespace('homelab'),
  ]);
  t.equal(view.readiness().ready, false, 'not ready before the first list');
  t.equal(await view.waitForSync(5000), true, 'every informer lists');
  t.equal(view.readiness().ready, true);
  t.same(
    view.cacheEntries(),
    { deployments: 1, statefulsets: 1, replicasets: 1, horizontalpodautoscalers: 1, namespaces: 1 },
    'one cache per watched resource',
  );
  const before = api.requests.length;
  for (const kind of ['Deployment', 'StatefulSet', 'ReplicaSet']) {
    const name = { Deployment: 'whisper', StatefulSet: 'postgres', ReplicaSet: 'legacy' }[kind] ?? '';
    t.same(
      await view.scaleTarget('homelab', { apiVersion: 'apps/v1', kind, name }),
      { state: 'found' },
      kind,
    );
  }
  t.equal(api.requests.length, before, 'cache hits cost no request');
  t.same(await view.hpasTargeting('homelab', 'Deployment', 'whisper'), {
    state: 'found',
    hpas: ['whisper-hpa'],
  });
  t.same(
    await view.hpasTargeting('homelab', 'StatefulSet', 'whisper'),
    { state: 'found', hpas: [] },
    'kind matters',
  );
  // The slim cache: what a 50,000-object cluster costs depends on this.
  const cached = (
    view as unknown as { targets: Record<string, { get(n: string, ns: string): unknown }> }
  ).targets.Deployment?.get('whisper', 'homelab');
  t.same(Object.keys(cached as object), ['metadata'], 'no spec, no template in the cache');
});

t.test('a missing target is read directly, in its own namespace only', async (t) => {
  const { api, view } = await standInWithView(t, [workload('Deployment', 'other', 'whisper')]);
  await view.waitForSync(5000);
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'whisper' };
  t.same(
    await view.scaleTarget('homelab', ref),
    { state: 'missing' },
    'a Deployment of that name elsewhere does not count',
  );
  t.ok(
    api.requests.includes('GET /apis/apps/v1/namespaces/homelab/deployments/whisper'),
    'the miss was checked by GET',
  );
  t.same(await view.scaleTarget('other', ref), { state: 'found' });
});

t.test('a target created a moment ago is found by GET before the watch delivers it', async (t) => {
  const { api, view } = await standInWithView(t);
  await view.waitForSync(5000);
  api.store.put(workload('Deployment', 'homelab', 'fresh'));
  // Called in the same tick as the create: the watch event cannot have arrived yet.
  const answer = view.scaleTarget('homelab', { kind: 'Deployment', name: 'fresh' });
  t.same(await answer, { state: 'found' });
  t.ok(
    api.requests.includes('GET /apis/apps/v1/namespaces/homelab/deployments/fresh'),
    'answered by a direct GET',
  );
});

t.test('custom resources with /scale are read through discovery; unknown kinds are not judged', async (t) => {
  const { view, api } = await standInWithView(t, [
    { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'spinner', namespace: 'homelab' } },
  ]);
  await view.waitForSync(5000);
  const widget = (name: string) =>
    view.scaleTarget('homelab', { apiVersion: 'example.com/v1', kind: 'Widget', name });
  t.same(await widget('spinner'), { state: 'found' });
  t.same(await widget('gone'), { state: 'missing' });
  t.ok(api.requests.includes('GET /apis/example.com/v1/namespaces/homelab/widgets/gone'));
  const gadget = await view.scaleTarget('homelab', {
    apiVersion: 'example.com/v1',
    kind: 'Gadget',
    name: 'x',
  });
  t.equal(gadget.state, 'unjudged', 'a kind discovery does not list');
  const foreign = await view.scaleTarget('homelab', {
    apiVersion: 'nowhere.io/v1',
    kind: 'Thing',
    name: 'x',
  });
  t.equal(foreign.state, 'unjudged', 'an API group the server does not serve');
  const pods = await view.scaleTarget('homelab', {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    name: 'x',
  });
  t.equal(pods.state, 'unjudged', 'core kinds other than the watched ones');
});

t.test('namespace mode labels switch at runtime', async (t) => {
  const { api, view } = await standInWithView(t, [namespace('team-a', 'audit'), namespace('team-b')]);
  await view.waitForSync(5000);
  t.equal(view.namespaceMode('team-a'), 'audit');
  t.equal(view.namespaceMode('team-b'), undefined, 'no label: the policy decides');
  t.equal(view.namespaceMode('nowhere'), undefined);
  api.store.put(namespace('team-b', 'enforce'));
  await assertEventually(t, 'team-b moves to enforce', () => view.namespaceMode('team-b') === 'enforce');
  api.store.put(namespace('team-a', 'off'));
  await assertEventually(t, 'team-a is switched off', () => view.namespaceMode('team-a') === 'off');
  api.store.put(namespace('team-a', 'strict'));
  await assertEventually(t, 'an unknown value is ignored', () => view.namespaceMode('team-a') === undefined);
});

t.test('lists in pages, so a big cluster never arrives as one response', async (t) => {
  const seed = Array.from({ length: 1201 }, (_, i) => workload('Deployment', `team-${i % 7}`, `app-${i}`));
  const { api, view } = await standInWithView(t, seed);
  await view.waitForSync(10_000);
  const pages = api.requests.filter(
    (r) => r.startsWith('GET /apis/apps/v1/deployments?') && !r.includes('watch='),
  );
  t.equal(pages.length, 3, '1201 Deployments in pages of 500');
  t.ok(
    pages.slice(1).every((r) => r.includes('continue=')),
    'later pages continue the first',
  );
  for (const i of [0, 600, 1200]) {
    t.same(await view.scaleTarget(`team-${i % 7}`, { kind: 'Deployment', name: `app-${i}` }), {
      state: 'found',
    });
  }
  t.notOk(
    api.requests.some((r) => r.includes('/namespaces/team-')),
    'all answered from the cache',
  );
});

t.test('orphaned HPAs, as the audit will list them', async (t) => {
  const { api, view } = await standInWithView(t, [
    workload('Deployment', 'homelab', 'whisper-v2'),
    workload('Deployment', 'homelab', 'family-assistant'),
    hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }, 'v1'),
    hpa('homelab', 'family-assistant-enhanced-hpa', {
      kind: 'Deployment',
      name: 'family-assistant-enhanced',
    }),
    hpa('homelab', 'family-assistant-hpa', { kind: 'Deployment', name: 'family-assistant' }),
    hpa('locked', 'guarded-hpa', { kind: 'Deployment', name: 'guarded' }),
  ]);
  await view.waitForSync(5000);
  api.faults.forbidden.push(/\/namespaces\/locked\//);
  const report = await findOrphanedHpas(view.listHpas(), view);
  t.same(
    report.orphaned.map((o) => `${o.namespace}/${o.name} -> ${o.target.kind}/${o.target.name}`),
    [
      'homelab/family-assistant-enhanced-hpa -> Deployment/family-assistant-enhanced',
      'homelab/whisper-hpa -> Deployment/whisper',
    ],
  );
  t.match(
    report.unchecked,
    [{ namespace: 'locked', name: 'guarded-hpa', reason: /403/ }],
    'a 403 is not an orphan',
  );
  t.same((await findOrphanedHpas(view.listHpas('homelab'), view)).unchecked, [], 'one namespace at a time');
});
