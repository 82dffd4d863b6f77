// Policy exceptions as the API server sees them: a covered denial becomes a warning naming the
// exception until the end of its day (UTC), then is denied again and says the exception expired.
import t from 'tap';
import { handleReview } from '../../src/admission/handle.js';
import { DeadlinePassed, WorkBudget } from '../../src/admission/work-budget.js';
import { parsePolicy } from '../../src/policy/load.js';
import { compilePolicy, type CompiledPolicy } from '../../src/policy/compile.js';
import { exceptionNotices } from '../../src/policy/exceptions.js';
import { RULES } from '../../src/rules/index.js';
import type { Endpoint, Rule } from '../../src/rules/rule.js';
import type { Clock } from '../../src/admission/exceptions.js';
import type { KubeObject } from '../../src/kube/workload.js';
import {
  GOOD_IMAGE,
  SPRAWL_IMAGE,
  WORKLOADS,
  pod,
  reviewOf,
  type ReviewOptions,
} from '../fixtures/objects.js';

const at =
  (iso: string): Clock =>
  () =>
    new Date(iso);
const BEFORE = at('2026-06-01T12:00:00Z');
const LAST_MOMENT = at('2026-12-31T23:59:59.999Z');
const NEXT_DAY = at('2027-01-01T00:00:00Z');

function exceptions(...entries: string[]): CompiledPolicy {
  return parsePolicy(`exceptions:\n${entries.join('')}`, 'team.yaml');
}

const entry = (match: string, extra = '', rules = '[image-tag, image-registry]') =>
  [
    `  - match: ${match}`,
    `    rules: ${rules}`,
    extra && `    ${extra}`,
    '    reason: legacy build, rebuilt in OPS-12',
    '    owner: team-a',
    '    expires: 2026-12-31',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n') + '\n';

interface Options extends ReviewOptions {
  readonly clock?: Clock;
  readonly used?: Set<number>;
  readonly endpoint?: Endpoint;
}

async function answer(policy: CompiledPolicy, object: KubeObject, o: Options = {}) {
  const outcome = await handleReview(reviewOf(object, o), o.endpoint ?? 'validate', {
    policy,
    clock: o.clock ?? BEFORE,
    ...(o.used && { exceptionsUsed: o.used }),
  });
  if (!outcome.answered) throw new Error(outcome.body.error.message);
  return outcome.body.response;
}

const EXCUSED =
  'not denied (exception #1, owner team-a, until 2026-12-31: legacy build, rebuilt in OPS-12): ';

t.test('a matching exception turns the denial into a warning that names it', async (t) => {
  const policy = exceptions(entry('{ namespaces: [team] }'));
  const r = await answer(policy, pod([SPRAWL_IMAGE]));
  t.equal(r.allowed, true);
  t.equal(r.warnings?.length, 2);
  for (const w of r.warnings ?? []) t.match(w, /^\[image-(tag|registry)\] /);
  t.ok(
    r.warnings?.every((w) => w.includes(EXCUSED)),
    'each warning names the exception, its owner, expiry and reason',
  );
  const annotation = JSON.parse(r.auditAnnotations?.['image-tag'] ?? '[]');
  t.match(annotation, [{ action: 'warn', message: new RegExp(`^${EXCUSED.replace(/[()]/g, '\\$&')}`) }]);
});

t.test('matching: namespace, kind and name globs, rule ids and images must all agree', async (t) => {
  const object = WORKLOADS.Deployment!.make([SPRAWL_IMAGE]); // Deployment "web"
  const cases: [string, string, boolean][] = [
    ['namespace glob', entry('{ namespaces: [te*] }'), true],
    ['other namespace', entry('{ namespaces: [prod] }'), false],
    ['kind', entry('{ kinds: [Deployment] }'), true],
    ['other kind', entry('{ kinds: [StatefulSet] }'), false],
    ['name glob', entry('{ names: ["w?b"] }'), true],
    ['other name', entry('{ names: [web-*] }'), false],
    ['all three', entry('{ namespaces: [team], kinds: [Deployment], names: [web] }'), true],
    ['two of three', entry('{ namespaces: [team], kinds: [Deployment], names: [api] }'), false],
    ['image glob', entry('{ kinds: [Deployment] }', 'images: ["family-assistant:*"]'), true],
    ['image normalised', entry('{ kinds: [Deployment] }', 'images: ["docker.io/library/family-*"]'), true],
    ['other image', entry('{ kinds: [Deployment] }', 'images: ["ghcr.io/**"]'), false],
  ];
  for (const [what, text, excused] of cases) {
    const r = await answer(exceptions(text), object);
    t.equal(r.allowed, excused, `${what}: ${excused ? 'allowed' : 'denied'}`);
  }
  const onlyTag = await answer(exceptions(entry('{ kinds: [Deployment] }', '', '[image-tag]')), object);
  t.equal(onlyTag.allowed, false, 'a rule the exception does not list still denies');
  t.match(onlyTag.status?.message, /\[image-registry\]/);
  t.notMatch(onlyTag.status?.message, /\[image-tag\]/);
  t.ok(onlyTag.warnings?.some((w) => w.startsWith(`[image-tag] ${EXCUSED}`)));
});

t.test('images: each container is judged by its own image', async (t) => {
  const policy = exceptions(entry('{ namespaces: [team] }', 'images: ["family-assistant:*"]'));
  const r = await answer(policy, pod([SPRAWL_IMAGE, 'ghcr.io/acme/worker:fixed-v5']));
  t.equal(r.allowed, false, 'the other container is still denied');
  t.match(r.status?.message, /worker:fixed-v5/);
  t.notMatch(r.status?.message, /phase2-mcp-logging-fix/);
  t.ok(r.warnings?.some((w) => w.includes(EXCUSED) && w.includes('family-assistant')));
});

t.test('a finding about a whole pod spec is excused when every image in it matches', async (t) => {
  // A rule that judges placement reports at the pod spec, as node-arch does.
  const placement: Rule = {
    ...RULES.find((rule) => rule.id === 'node-arch')!,
    needsRegistry: false,
    configure: () => undefined,
    evaluate: (ctx) =>
      ctx.podSpecs.map((site) => ({ path: site.path, message: 'no node runs all of these' })),
  };
  const settings = exceptions(entry('{ namespaces: [team] }', 'images: ["ghcr.io/acme/**"]', '[node-arch]'));
  const policy = compilePolicy(settings.policy, [placement]);
  t.equal((await answer(policy, pod([GOOD_IMAGE, 'ghcr.io/acme/db:v2.0.1']))).allowed, true, 'all match');
  const mixed = await answer(policy, pod([GOOD_IMAGE, 'quay.io/other/db:v2.0.1']));
  t.equal(mixed.allowed, false, 'one image outside the globs keeps the denial');
});

t.test('expiry: the expires day counts until its last moment, UTC; the next day does not', async (t) => {
  const policy = exceptions(entry('{ namespaces: [team] }'));
  const last = await answer(policy, pod([SPRAWL_IMAGE]), { clock: LAST_MOMENT });
  t.equal(last.allowed, true, '2026-12-31T23:59:59.999Z: still excused');

  const next = await answer(policy, pod([SPRAWL_IMAGE]), { clock: NEXT_DAY });
  t.equal(next.allowed, false, '2027-01-01T00:00:00Z: denied again');
  t.match(next.status?.message, /\[image-tag\] exception #1 \(owner team-a\) expired on 2026-12-31: /);
  t.notOk(next.warnings, 'an expired exception excuses nothing');
});

t.test('the first unexpired exception speaks; an expired one only when none is left', async (t) => {
  const renewed = entry('{ namespaces: [team] }')
    .replace('2026-12-31', '2027-03-31')
    .replace('team-a', 'team-b');
  const policy = exceptions(entry('{ namespaces: [team] }'), renewed);
  const r = await answer(policy, pod([SPRAWL_IMAGE]), { clock: NEXT_DAY });
  t.equal(r.allowed, true);
  t.ok(r.warnings?.every((w) => w.includes('not denied (exception #2, owner team-b, until 2027-03-31')));
});

t.test(
  'audit mode: an excused finding names its exception; an expired one is softened by the mode',
  async (t) => {
    const policy = parsePolicy(`mode: audit\nexceptions:\n${entry('{ namespaces: [team] }')}`, 'team.yaml');
    const active = await answer(policy, pod([SPRAWL_IMAGE]));
    t.ok(
      active.warnings?.every((w) => w.includes(EXCUSED)),
      'the exception, not the mode, is named',
    );
    const expired = await answer(policy, pod([SPRAWL_IMAGE]), { clock: NEXT_DAY });
    t.equal(expired.allowed, true, 'audit never denies');
    t.ok(
      expired.warnings?.every((w) =>
        /not denied \(audit mode\): exception #1 \(owner team-a\) expired on 2026-12-31: /.test(w),
      ),
      'and says the exception expired',
    );
  },
);

t.test('UPDATE ratchet: an expired exception does not block updates that add nothing new', async (t) => {
  const policy = exceptions(entry('{ kinds: [Deployment] }'));
  const before = WORKLOADS.Deployment!.make([SPRAWL_IMAGE]);
  const scaled = structuredClone(before);
  (scaled.spec as Record<string, unknown>).replicas = 5;
  const r = await answer(policy, scaled, { operation: 'UPDATE', oldObject: before, clock: NEXT_DAY });
  t.equal(r.allowed, true, 'the finding was already there');
  t.match(
    r.warnings?.[0],
    /^\[image-registry\] not denied \(already present before this update\): exception #1 \(owner team-a\) expired on 2026-12-31/,
  );
  const introduced = WORKLOADS.Deployment!.make([SPRAWL_IMAGE, 'ghcr.io/acme/worker:fixed-v5']);
  const excused = await answer(policy, introduced, { operation: 'UPDATE', oldObject: before });
  t.equal(excused.allowed, true, 'a new finding an active exception covers is excused');
  const denied = await answer(policy, introduced, {
    operation: 'UPDATE',
    oldObject: before,
    clock: NEXT_DAY,
  });
  t.equal(denied.allowed, false, 'and denied once it expired');
  t.match(denied.status?.message, /exception #1 \(owner team-a\) expired on 2026-12-31: .*fixed-v5/);
});

t.test('used exceptions are noted; check and audit report the unused and the expired', async (t) => {
  const policy = exceptions(
    entry('{ namespaces: [team] }'),
    entry('{ namespaces: [nowhere] }'),
    entry('{ kinds: [Deployment] }').replace('2026-12-31', '2026-11-30'),
  );
  const used = new Set<number>();
  await answer(policy, pod([SPRAWL_IMAGE]), { used });
  await answer(policy, pod([GOOD_IMAGE]), { used });
  t.same([...used], [1]);
  const notices = exceptionNotices(policy.exceptions, used, new Date('2026-12-05T00:00:00Z'));
  t.same(
    notices.map((n) => n.message),
    [
      'exception #2 (owner team-a): matched nothing; remove it if it is no longer needed',
      'exception #3 (owner team-a): expired 2026-11-30; renew it with a later expires date or remove it',
    ],
  );
});

t.test('the mutating endpoint is not affected by exceptions', async (t) => {
  const policy = exceptions(entry('{ namespaces: [team] }', '', '[pod-identity-env, image-tag]'));
  const used = new Set<number>();
  const object = pod([GOOD_IMAGE, 'ghcr.io/acme/proxy:v1.0.0']);
  const withExceptions = await answer(policy, object, { endpoint: 'mutate', used });
  const without = await answer(compilePolicy({ ...policy.policy, exceptions: [] }, RULES), object, {
    endpoint: 'mutate',
  });
  t.ok(withExceptions.patch, 'the sidecar still gets its variables');
  t.same(withExceptions, without);
  t.same([...used], [], 'and no exception is counted as used');
});

t.test("a controller's pods: the controller softening keeps the expired exception's words", async (t) => {
  const policy = exceptions(entry('{ kinds: [Pod] }'));
  const owned = pod([SPRAWL_IMAGE], {
    metadata: {
      name: 'web-5d8f-x2x7k',
      namespace: 'team',
      labels: { 'pod-template-hash': '5d8f' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f', uid: 'u', controller: true },
      ],
    },
  });
  const r = await answer(policy, owned, { username: 'system:kube-controller-manager', clock: NEXT_DAY });
  t.equal(r.allowed, true);
  t.match(
    r.warnings?.[0],
    /^\[image-registry\] not denied \(created by kube-controller-manager; fix Deployment web\): exception #1 \(owner team-a\) expired on 2026-12-31: /,
  );
});

t.test('under a work budget, exceptions pause between denials like the rules do', async (t) => {
  const policy = exceptions(entry('{ namespaces: [team] }', 'images: ["**/not-this-one/**"]'));
  const object = pod(Array.from({ length: 40 }, (_, i) => `app-${i}:latest`));
  const sliced = async (p: CompiledPolicy) => {
    let pauses = 0;
    // A slice of 0 ms is spent at once: every step waits for its own turn of the event loop.
    const work = new WorkBudget({ sliceMs: 0, endsAt: Infinity, onPause: () => pauses++ });
    const outcome = await handleReview(reviewOf(object), 'validate', { policy: p, work, clock: BEFORE });
    return { outcome, pauses };
  };
  const without = await sliced(exceptions(entry('{ namespaces: [elsewhere] }')));
  const withExceptions = await sliced(policy);
  t.ok(
    withExceptions.pauses >= without.pauses + 40,
    `${withExceptions.pauses} pauses with exceptions to try, ${without.pauses} without`,
  );
  const whole = await handleReview(reviewOf(object), 'validate', { policy, clock: BEFORE });
  t.strictSame(withExceptions.outcome, whole, 'the same answer as one synchronous run');

  const late = new WorkBudget({ sliceMs: 0, endsAt: performance.now() - 1 });
  await t.rejects(
    Promise.resolve(handleReview(reviewOf(object), 'validate', { policy, work: late, clock: BEFORE })),
    DeadlinePassed,
    'and stops at the deadline',
  );
});
