// The engine as the API server sees it: AdmissionReview in, AdmissionReview out.
import t from 'tap';
import { handleReview, type ReviewOutcome } from '../../src/admission/handle.js';
import { parsePolicy, loadPolicyFile } from '../../src/policy/load.js';
import { compilePolicy, type CompiledPolicy } from '../../src/policy/compile.js';
import { RULES } from '../../src/rules/index.js';
import type { Rule } from '../../src/rules/rule.js';
import {
  GOOD_IMAGE,
  SPRAWL_IMAGE,
  WORKLOADS,
  pod,
  reviewOf,
  type ReviewOptions,
} from '../fixtures/objects.js';
import type { KubeObject } from '../../src/kube/workload.js';
import type { AdmissionResponse } from '../../src/admission/review.js';
import { deepFreeze } from '../fixtures/deep-freeze.js';

const enforce = loadPolicyFile();
const audit = parsePolicy('mode: audit\n', 'audit.yaml');

async function answer(object: KubeObject, options: ReviewOptions = {}, policy: CompiledPolicy = enforce) {
  const outcome: ReviewOutcome = await handleReview(deepFreeze(reviewOf(object, options)), 'validate', {
    policy,
  });
  if (!outcome.answered) throw new Error(`expected an answer, got a refusal: ${outcome.body.error.message}`);
  return outcome.body.response;
}

const deniedRules = (r: AdmissionResponse) =>
  [...(r.status?.message ?? '').matchAll(/^- \[([a-z-]+)\]/gm)].map((m) => m[1]).sort();

t.test('every workload kind is judged at its pod template', async (t) => {
  for (const [kind, { make, specPath }] of Object.entries(WORKLOADS)) {
    const bad = await answer(make([GOOD_IMAGE, 'nginx:latest']));
    t.equal(bad.allowed, false, `${kind} with nginx:latest is denied`);
    t.same(deniedRules(bad), ['image-registry', 'image-tag'], `${kind}: both rules named`);
    const annotation = JSON.parse(bad.auditAnnotations?.['image-tag'] ?? '[]');
    t.equal(annotation[0]?.path, `${specPath}/containers/1/image`, `${kind}: pointer to the image`);
    const good = await answer(make([GOOD_IMAGE]));
    t.same(
      good,
      { uid: good.uid, allowed: true },
      `${kind} with a qualified versioned image is allowed untouched`,
    );
  }
});

t.test('unknown kinds and kinds of other API groups pass untouched', async (t) => {
  const custom = {
    apiVersion: 'example.com/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: { template: { spec: { containers: [{ name: 'a', image: 'nginx' }] } } },
  };
  t.same(await answer(custom), { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c' },
    data: { image: 'nginx:latest' },
  };
  t.equal((await answer(cm)).allowed, true);
});

t.test('old API versions of workloads are judged', async (t) => {
  const old = {
    apiVersion: 'extensions/v1beta1',
    kind: 'Deployment',
    metadata: { name: 'legacy' },
    spec: { template: { spec: { containers: [{ name: 'a', image: 'nginx:latest' }] } } },
  };
  t.equal((await answer(old)).allowed, false);
});

t.test('one message lists every violation, one line each', async (t) => {
  const r = await answer(pod([SPRAWL_IMAGE, 'redis', 'ghcr.io/acme/api:latest']));
  t.equal(r.status?.code, 403);
  t.equal(r.status?.reason, 'Forbidden');
  const lines = r.status?.message.split('\n') ?? [];
  t.match(lines[0], /^kube-hygiene denied Pod team\/web-0: 5 violations$/);
  t.equal(lines.length, 6, 'a head line and one line per violation');
  t.match(r.status?.message, /family-assistant:phase2-mcp-logging-fix/);
  t.match(r.status?.message, /container "side-1" image "redis" has no tag/);
});

t.test('warn findings become warnings and audit annotations', async (t) => {
  const p = pod([GOOD_IMAGE]);
  (p.spec as { containers: { imagePullPolicy?: string }[] }).containers[0]!.imagePullPolicy = 'Never';
  const r = await answer(p);
  t.equal(r.allowed, true);
  t.equal(r.warnings?.length, 1);
  t.match(r.warnings?.[0], /^\[image-pull-policy\] container "app" has imagePullPolicy: Never/);
  t.ok(r.auditAnnotations?.['image-pull-policy']);
});

t.test('audit mode never denies: every finding is a warning', async (t) => {
  const r = await answer(pod([SPRAWL_IMAGE]), {}, audit);
  t.equal(r.allowed, true);
  t.notOk(r.status);
  t.equal(r.warnings?.length, 2);
  t.match(r.warnings?.[0], /^\[image-registry\] not denied \(audit mode\): container "app"/);
  t.same(Object.keys(r.auditAnnotations ?? {}).sort(), ['image-registry', 'image-tag']);
});

t.test('dry-run gets exactly the answer a real request gets', async (t) => {
  const real = await answer(pod([SPRAWL_IMAGE]));
  const dry = await answer(pod([SPRAWL_IMAGE]), { dryRun: true });
  t.same(dry, real);
});

t.test('exempt namespaces are not judged', async (t) => {
  for (const namespace of ['kube-system', 'kube-public', 'kube-node-lease']) {
    t.equal((await answer(pod([SPRAWL_IMAGE]), { namespace })).allowed, true, namespace);
  }
  const custom = parsePolicy('exemptNamespaces: [sandbox]\n', 'p.yaml');
  t.equal((await answer(pod([SPRAWL_IMAGE]), { namespace: 'sandbox' }, custom)).allowed, true);
  t.equal(
    (await answer(pod([SPRAWL_IMAGE]), { namespace: 'kube-system' }, custom)).allowed,
    false,
    'the list replaces the default',
  );
});

t.test('pods made by built-in controllers are judged but never denied', async (t) => {
  const owned = pod([SPRAWL_IMAGE], {
    metadata: {
      name: 'web-7d4b9c-x2x9q',
      namespace: 'team',
      labels: { 'pod-template-hash': '7d4b9c' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9c', uid: 'u', controller: true },
      ],
    },
  });
  const byController = await answer(owned, {
    username: 'system:serviceaccount:kube-system:replicaset-controller',
  });
  t.equal(byController.allowed, true);
  t.match(
    byController.warnings?.[0],
    /^\[image-registry\] not denied \(created by replicaset-controller; fix Deployment web\): /,
    'the warning names the Deployment a person wrote, not the ReplicaSet',
  );
  const jobPod = pod([SPRAWL_IMAGE], {
    metadata: {
      name: 'backup-29123-abcde',
      namespace: 'team',
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: 'backup-29123', uid: 'u', controller: true },
      ],
    },
  });
  t.match(
    (await answer(jobPod, { username: 'system:serviceaccount:kube-system:job-controller' })).warnings?.[0],
    /not denied \(created by job-controller; fix Job backup-29123\): /,
    'other owners are named as they are',
  );
  const byManager = await answer(owned, { username: 'system:kube-controller-manager' });
  t.equal(byManager.allowed, true);
  t.equal(
    (await answer(owned, { username: 'alice@example.com' })).allowed,
    false,
    'a person with an ownerReference is judged in full',
  );
  t.equal(
    (
      await answer(pod([SPRAWL_IMAGE]), {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
      })
    ).allowed,
    false,
    'a controller account without a controller owner is judged in full',
  );
});

t.test('UPDATE ratchet: only what the update introduces can deny', async (t) => {
  const before = WORKLOADS.Deployment!.make([SPRAWL_IMAGE]);
  const scaled = structuredClone(before);
  (scaled.spec as Record<string, unknown>).replicas = 5;
  const r = await answer(scaled, { operation: 'UPDATE', oldObject: before });
  t.equal(r.allowed, true, 'scaling a legacy Deployment is not blocked');
  t.equal(r.warnings?.length, 2);
  t.match(r.warnings?.[0], /^\[image-registry\] not denied \(already present before this update\)/);

  const introduced = WORKLOADS.Deployment!.make([SPRAWL_IMAGE, 'ghcr.io/acme/worker:fixed-v5']);
  const r2 = await answer(introduced, { operation: 'UPDATE', oldObject: before });
  t.equal(r2.allowed, false);
  t.same(deniedRules(r2), ['image-tag']);
  t.match(r2.status?.message, /fixed-v5/);
  t.notMatch(r2.status?.message, /phase2-mcp-logging-fix/);
});

t.test('DELETE, CONNECT and other subresources are not judged', async (t) => {
  const bad = pod([SPRAWL_IMAGE]);
  t.equal((await answer(bad, { operation: 'DELETE', oldObject: bad })).allowed, true);
  t.equal((await answer(bad, { operation: 'CONNECT' })).allowed, true);
  t.equal((await answer(bad, { operation: 'UPDATE', subResource: 'status', oldObject: bad })).allowed, true);
  const withDebug = pod([GOOD_IMAGE], {});
  (withDebug.spec as Record<string, unknown>).ephemeralContainers = [{ name: 'debug', image: 'busybox' }];
  const r = await answer(withDebug, {
    operation: 'UPDATE',
    subResource: 'ephemeralcontainers',
    oldObject: pod([GOOD_IMAGE]),
  });
  t.equal(r.allowed, false, 'an ephemeral container added through its subresource is judged');
  t.match(r.status?.message, /container "debug" image "busybox"/);
});

t.test('a rule that waits delays the answer, not the rules after it or their order', async (t) => {
  const review = reviewOf(pod([SPRAWL_IMAGE]));
  const sync = handleReview(structuredClone(review), 'validate', { policy: enforce });
  t.notOk(sync instanceof Promise, 'rules that ask nothing of the network answer in the same tick');
  // Stands in for a registry or cluster lookup: answers a moment later, in the middle of the list.
  const [first, ...rest] = RULES;
  const waiting: Rule = {
    ...first!,
    evaluate: (ctx, options) =>
      new Promise((resolve) => setTimeout(() => resolve(first!.evaluate(ctx, options)), 5)),
  };
  const later = handleReview(structuredClone(review), 'validate', {
    policy: compilePolicy(enforce.policy, [waiting, ...rest]),
  });
  t.ok(later instanceof Promise, 'a rule that waits makes the answer a promise');
  t.same(await later, sync, 'the same answer, findings in the same order');

  const broken: Rule = { ...first!, evaluate: () => Promise.reject(new Error('lookup exploded')) };
  const outcome = await handleReview(structuredClone(review), 'validate', {
    policy: compilePolicy(enforce.policy, [broken, ...rest]),
  });
  t.equal(outcome.answered, true);
  if (outcome.answered) {
    const rules = outcome.evaluation.findings.map((f) => `${f.rule} ${f.action}`);
    t.same(rules, [`${first!.id} warn`, `${rest[0]!.id} deny`], 'the rules after a failed one still judge');
    t.match(outcome.evaluation.findings[0]?.message, /could not check this object \(lookup exploded\)/);
  }
});

t.test('the uid is echoed and the envelope is v1', async (t) => {
  const outcome = await handleReview(reviewOf(pod(), { uid: 'abc-123' }), 'validate', { policy: enforce });
  t.equal(outcome.answered, true);
  if (outcome.answered) {
    t.equal(outcome.body.apiVersion, 'admission.k8s.io/v1');
    t.equal(outcome.body.kind, 'AdmissionReview');
    t.equal(outcome.body.response.uid, 'abc-123');
  }
});

t.test('malformed reviews are refused, saying what is wrong', async (t) => {
  const cases: [unknown, RegExp][] = [
    [null, /JSON object/],
    [[], /JSON object/],
    [
      { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: reviewOf(pod()).request },
      /apiVersion: must be "admission.k8s.io\/v1"/,
    ],
    [
      { apiVersion: 'admission.k8s.io/v1', kind: 'Review', request: reviewOf(pod()).request },
      /kind: must be "AdmissionReview"/,
    ],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request: is required/],
    [
      { ...reviewOf(pod()), request: { ...reviewOf(pod()).request, uid: undefined } },
      /request\.uid: is required/,
    ],
    [{ ...reviewOf(pod()), request: { ...reviewOf(pod()).request, uid: 7 } }, /request\.uid: must be string/],
    [
      { ...reviewOf(pod()), request: { ...reviewOf(pod()).request, operation: 'PATCH' } },
      /request\.operation: must be one of/,
    ],
  ];
  for (const [body, message] of cases) {
    const outcome = await handleReview(body, 'validate', { policy: enforce });
    t.equal(outcome.answered, false);
    if (!outcome.answered) {
      t.equal(outcome.body.error.code, 'KH_REVIEW_MALFORMED');
      t.match(outcome.body.error.message, message);
    }
  }
});

t.test('objects of the wrong shape are judged defensively, never crash', async (t) => {
  const odd: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: 'text' },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: 'nope' } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'x' },
      spec: { containers: [null, 3, { name: 'a' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'x' },
      spec: { containers: [{ name: 'a', image: 42 }] },
    },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template: [] } },
  ];
  // Found by the fuzz suite: an ownerReferences that is not a list threw.
  odd.push(pod([SPRAWL_IMAGE], { metadata: { name: 'x', ownerReferences: { controller: true } as never } }));
  for (const object of odd) {
    const r = await answer(object);
    t.type(r.allowed, 'boolean');
  }
  const noImage = await answer(odd[3]!);
  t.equal(noImage.allowed, false, 'a container without an image is an invalid reference');
  t.match(noImage.status?.message, /image is empty/);
});
