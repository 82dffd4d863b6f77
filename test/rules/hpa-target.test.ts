// hpa-target as the API server sees it: AdmissionReviews in, answers out. First with the
// cluster as an object literal (every state the lookup can report), then end to end against
// the API stand-in through the real client and the cluster view.
import t from 'tap';
import { handleReview } from '../../src/admission/handle.js';
import type { EngineDeps } from '../../src/admission/evaluate.js';
import type { AdmissionResponse } from '../../src/admission/review.js';
import type { KubeObject } from '../../src/kube/workload.js';
import { loadPolicyFile, parsePolicy } from '../../src/policy/load.js';
import type { ClusterLookup, HpaLookup, TargetLookup } from '../../src/cluster/lookup.js';
import { reviewOf, type ReviewOptions } from '../fixtures/objects.js';
import { hpa, namespace, standInWithView, workload, assertEventually } from '../cluster/fixtures.js';

const policy = loadPolicyFile();
const denyPolicy = parsePolicy('rules:\n  hpa-target:\n    action: deny\n', 'deny.yaml');

async function answer(object: KubeObject, deps: Partial<EngineDeps>, options: ReviewOptions = {}) {
  const outcome = await handleReview(reviewOf(object, options), 'validate', { policy, ...deps });
  if (!outcome.answered) throw new Error(outcome.body.error.message);
  return outcome.body.response;
}
const hpaWarnings = (r: AdmissionResponse) => (r.warnings ?? []).filter((w) => w.startsWith('[hpa-target]'));

function lookup(target: TargetLookup, hpas: HpaLookup = { state: 'found', hpas: [] }): ClusterLookup {
  return { scaleTarget: async () => target, hpasTargeting: async () => hpas };
}

t.test('states the lookup can report, as the user reads them', async (t) => {
  const object = hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }) as KubeObject;
  const missing = await answer(object, { cluster: lookup({ state: 'missing' }) });
  t.equal(missing.allowed, true, 'warn by default');
  t.same(hpaWarnings(missing), [
    '[hpa-target] HPA homelab/whisper-hpa scales Deployment whisper, which does not exist in namespace homelab: create the Deployment, point spec.scaleTargetRef at one that exists, or delete the HPA',
  ]);
  t.match(JSON.parse(missing.auditAnnotations?.['hpa-target'] ?? '[]'), [
    { path: '/spec/scaleTargetRef/name' },
  ]);

  const found = await answer(object, { cluster: lookup({ state: 'found' }) });
  t.same(found, { uid: found.uid, allowed: true }, 'an existing target: untouched answer');

  const unjudged = await answer(object, {
    cluster: lookup({ state: 'unjudged', reason: 'not a scalable kind' }),
  });
  t.same(hpaWarnings(unjudged), [], 'kinds it does not know are not judged');

  const unknown = { state: 'unknown', reason: 'the API server answered 403' } as const;
  const cannot = await answer(object, { policy: denyPolicy, cluster: lookup(unknown) });
  t.equal(cannot.allowed, true, 'an API error is never a denial, even when the rule denies');
  t.match(hpaWarnings(cannot), [
    /could not check that Deployment homelab\/whisper .*403; it was let through/,
  ]);

  const denied = await answer(object, { policy: denyPolicy, cluster: lookup({ state: 'missing' }) });
  t.equal(denied.allowed, false, 'action: deny refuses a missing target in enforce mode');
  t.match(denied.status?.message, /\[hpa-target\] HPA homelab\/whisper-hpa scales Deployment whisper/);
});

t.test('without a cluster the rule judges nothing', async (t) => {
  const object = hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }) as KubeObject;
  const response = await answer(object, {});
  t.same(response, { uid: response.uid, allowed: true });
  const deletion = await answer(
    workload('Deployment', 'homelab', 'whisper') as KubeObject,
    {},
    {
      operation: 'DELETE',
      oldObject: workload('Deployment', 'homelab', 'whisper') as KubeObject,
    },
  );
  t.same(hpaWarnings(deletion), []);
});

t.test('DELETE of a scaled object warns for each HPA left behind, never denies', async (t) => {
  const deployment = workload('Deployment', 'homelab', 'whisper') as KubeObject;
  const asked: string[] = [];
  const cluster: ClusterLookup = {
    scaleTarget: async () => ({ state: 'found' }),
    hpasTargeting: async (ns, kind, name) => {
      asked.push(`${ns} ${kind} ${name}`);
      return { state: 'found', hpas: ['whisper-hpa', 'whisper-nightly'] };
    },
  };
  const response = await answer(
    deployment,
    { policy: denyPolicy, cluster },
    { operation: 'DELETE', oldObject: deployment },
  );
  t.equal(response.allowed, true);
  t.same(hpaWarnings(response), [
    '[hpa-target] HPA homelab/whisper-hpa will be left targeting nothing: delete it too',
    '[hpa-target] HPA homelab/whisper-nightly will be left targeting nothing: delete it too',
  ]);
  t.same(asked, ['homelab Deployment whisper'], 'asked about the object being deleted');
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'homelab' } };
  const podDelete = await answer(pod, { cluster }, { operation: 'DELETE', oldObject: pod });
  t.same(hpaWarnings(podDelete), [], 'kinds an HPA does not scale are not asked about');
});

t.test('end to end: the cluster view behind the engine', async (t) => {
  const { api, view } = await standInWithView(
    t,
    [
      namespace('homelab'),
      namespace('other'),
      workload('Deployment', 'homelab', 'whisper'),
      workload('StatefulSet', 'homelab', 'postgres'),
      workload('Deployment', 'other', 'family-assistant-enhanced'),
      hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }),
    ],
    { deadlineMs: 400 },
  );
  await view.waitForSync(5000);
  const deps = { cluster: view, namespaceMode: view.namespaceMode };

  for (const version of ['v1', 'v2'] as const) {
    const good = await answer(
      hpa('homelab', 'h', { kind: 'Deployment', name: 'whisper' }, version) as KubeObject,
      deps,
    );
    t.same(hpaWarnings(good), [], `autoscaling/${version}, existing Deployment`);
    const sts = await answer(
      hpa('homelab', 'h', { kind: 'StatefulSet', name: 'postgres' }, version) as KubeObject,
      deps,
    );
    t.same(hpaWarnings(sts), [], `autoscaling/${version}, existing StatefulSet`);
    const bad = await answer(
      hpa('homelab', 'h', { kind: 'Deployment', name: 'gone' }, version) as KubeObject,
      deps,
    );
    t.match(
      hpaWarnings(bad),
      [/HPA homelab\/h scales Deployment gone, which does not exist/],
      `autoscaling/${version}, missing`,
    );
  }

  const crossNamespace = hpa('homelab', 'family-assistant-enhanced-hpa', {
    kind: 'Deployment',
    name: 'family-assistant-enhanced',
  });
  t.match(
    hpaWarnings(await answer(crossNamespace as KubeObject, deps)),
    [/does not exist in namespace homelab/],
    'a target in another namespace does not count',
  );

  api.store.put(workload('Deployment', 'homelab', 'just-created'));
  const fresh = await answer(
    hpa('homelab', 'h', { kind: 'Deployment', name: 'just-created' }) as KubeObject,
    deps,
  );
  t.same(hpaWarnings(fresh), [], 'a target created a moment ago is found');

  const whisper = workload('Deployment', 'homelab', 'whisper') as KubeObject;
  const deletion = await answer(whisper, deps, { operation: 'DELETE', oldObject: whisper });
  t.same(hpaWarnings(deletion), [
    '[hpa-target] HPA homelab/whisper-hpa will be left targeting nothing: delete it too',
  ]);

  await api.down();
  const started = Date.now();
  const offline = await answer(
    hpa('homelab', 'h', { kind: 'Deployment', name: 'unseen' }) as KubeObject,
    deps,
  );
  t.ok(Date.now() - started < 1500, `answered in ${Date.now() - started} ms with the API down`);
  t.equal(offline.allowed, true);
  t.match(hpaWarnings(offline), [/could not check that Deployment homelab\/unseen/]);
  await api.up();
});

t.test('namespace mode labels switch the answer at runtime', async (t) => {
  const { api, view } = await standInWithView(t, [namespace('team')]);
  await view.waitForSync(5000);
  const deps = { cluster: view, namespaceMode: view.namespaceMode };
  const sprawl = () => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'team' },
    spec: { containers: [{ name: 'app', image: 'family-assistant:fixed-final' }] },
  });
  t.equal((await answer(sprawl(), deps)).allowed, false, 'no label: the policy (enforce) denies');
  api.store.put(namespace('team', 'audit'));
  await assertEventually(t, 'label seen', () => view.namespaceMode('team') === 'audit');
  const audited = await answer(sprawl(), deps);
  t.equal(audited.allowed, true, 'audit: let through');
  t.ok((audited.warnings ?? []).length > 0, 'with warnings');
  api.store.put(namespace('team', 'off'));
  await assertEventually(t, 'label seen', () => view.namespaceMode('team') === 'off');
  const off = await answer(sprawl(), deps);
  t.same(off, { uid: off.uid, allowed: true }, 'off: not judged at all');
  api.store.put(namespace('team', 'enforce'));
  await assertEventually(t, 'label seen', () => view.namespaceMode('team') === 'enforce');
  t.equal((await answer(sprawl(), deps)).allowed, false, 'enforce again');
});
