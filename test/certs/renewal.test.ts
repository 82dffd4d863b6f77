// The managed certificates' schedule, over simulated time: when each step comes, and what the
// API server trusts at every moment while the writer renews the serving certificate and replaces
// the CA. Replicas see the Secret a round late and the API server takes a bundle a while after it
// is written, as in a cluster; whatever any replica serves must verify against what the API
// server trusts at that moment.
import t from 'tap';
import { applyStep, type IssueSettings } from '../../src/certs/managed-steps.js';
import {
  StepKind,
  lifetimeOf,
  nextStep,
  pointOfLife,
  renewalTime,
  timingsFor,
  type Step,
} from '../../src/certs/renewal.js';
import { bundlePem, certificate, issuedBy, type ManagedState } from '../../src/certs/managed-state.js';
import { splitPemBundle } from '../../src/certs/webhook-certs.js';

const S = 60_000;
const C = 180_000;
const settings: IssueSettings = {
  namespace: 'kube-hygiene',
  commonName: 'kube-hygiene.kube-hygiene.svc',
  dnsNames: ['kube-hygiene.kube-hygiene.svc'],
  ipAddresses: ['127.0.0.1'],
  certValidityMs: S,
  caValidityMs: C,
};
const names = { dnsNames: settings.dnsNames, ipAddresses: settings.ipAddresses };
const schedule = { settleMs: 5000 };
const ok = (state: ManagedState) => ({ kind: 'ok', state }) as const;
const T0 = Date.now();

t.test('timings follow the serving certificate’s validity', async (t) => {
  t.same(timingsFor(20_000), { tickMs: 1000, leaseMs: 3000, settleMs: 2000, maxBackoffMs: 2000 });
  t.same(timingsFor(90 * 86_400_000), {
    tickMs: 10_000,
    leaseMs: 30_000,
    settleMs: 30_000,
    maxBackoffMs: 60_000,
  });
});

t.test('an empty or unusable Secret is filled from scratch', async (t) => {
  t.match(nextStep({ kind: 'empty' }, names, schedule, { now: T0 }), { kind: StepKind.create });
  t.match(nextStep({ kind: 'broken', problem: 'no tls.key' }, names, schedule, { now: T0 }), {
    kind: StepKind.create,
    reason: /no tls.key/,
  });
  const state = applyStep(undefined, StepKind.create, settings, T0);
  t.ok(issuedBy(state.serving, state.signer), 'the serving certificate comes from the new CA');
  t.same(
    state.trusted.map((c) => c.x509.fingerprint256),
    [state.signer.x509.fingerprint256],
  );
  t.equal(lifetimeOf(state.serving).notAfter, T0 + S - (T0 % 1000), 'valid for the validity asked');
  t.equal(lifetimeOf(state.signer).notAfter, T0 + C - (T0 % 1000));
  t.ok(Date.parse(state.serving.x509.validFrom) <= T0 - 4 * 60_000, 'notBefore set back for clocks behind');
});

t.test('each step comes when it is due, and not before', async (t) => {
  const fresh = applyStep(undefined, StepKind.create, settings, T0);
  const at = (state: ManagedState, now: number, publishedForMs?: number): Step =>
    nextStep(ok(state), names, schedule, { now, publishedForMs });
  const calm = at(fresh, T0 + 1000);
  t.same(calm, { kind: 'none', nextAt: renewalTime(fresh.serving) });
  t.match(at(fresh, renewalTime(fresh.serving)), { kind: StepKind.reissue, reason: /two thirds/ });
  t.match(nextStep(ok(fresh), { dnsNames: ['other.svc'], ipAddresses: [] }, schedule, { now: T0 }), {
    kind: StepKind.reissue,
    reason: /not for DNS:other.svc/,
  });

  const caDue = renewalTime(fresh.signer);
  t.match(at(fresh, caDue), { kind: StepKind.introduceCa });
  const introduced = applyStep(fresh, StepKind.introduceCa, settings, caDue);
  t.equal(introduced.trusted.length, 2, 'old and new CA both trusted');
  t.equal(introduced.signer, fresh.signer, 'the old CA still signs');
  t.ok(issuedBy(introduced.serving, fresh.signer));
  t.match(at(introduced, caDue + 1000), { kind: StepKind.reissue }, 'serving renewals go on meanwhile');
  const servingNow = applyStep(introduced, StepKind.reissue, settings, caDue + 1000);
  t.ok(issuedBy(servingNow.serving, fresh.signer), 'from the old CA while the new one is not published');
  t.match(at(servingNow, caDue + 2000), { kind: 'none' }, 'not published: the new CA waits');
  t.match(at(servingNow, caDue + 2000, 4999), { kind: 'none' }, 'published, not settled: waits');
  t.match(at(servingNow, caDue + 7000, 5000), {
    kind: StepKind.promoteCa,
    reason: /trusted the new CA for 5 s/,
  });
  t.match(at(servingNow, pointOfLife(fresh.signer, 5 / 6)), {
    kind: StepKind.promoteCa,
    reason: /never took the new CA/,
  });

  const promoted = applyStep(servingNow, StepKind.promoteCa, settings, caDue + 7000);
  t.equal(promoted.signer.x509.fingerprint256, introduced.next!.x509.fingerprint256);
  t.equal(promoted.next, undefined);
  t.ok(issuedBy(promoted.serving, promoted.signer), 'serving from the new CA at once');
  t.equal(promoted.trusted.length, 2, 'the old CA stays trusted');
  const oldEnds = lifetimeOf(fresh.signer).notAfter;
  const renewed = applyStep(promoted, StepKind.reissue, settings, oldEnds - 2000);
  t.equal(renewed.trusted.length, 2, 'a CA leaves the bundle only once it has expired');
  t.match(at(renewed, oldEnds - 1000), { kind: 'none', nextAt: oldEnds });
  t.match(at(renewed, oldEnds), { kind: StepKind.prune });
  const pruned = applyStep(renewed, StepKind.prune, settings, oldEnds);
  t.same(
    pruned.trusted.map((c) => c.x509.fingerprint256),
    [promoted.signer.x509.fingerprint256],
  );
});

t.test('a serving certificate never outlives the CA that signed it', async (t) => {
  const fresh = applyStep(undefined, StepKind.create, settings, T0);
  const late = lifetimeOf(fresh.signer).notAfter - 20_000;
  const state = applyStep(fresh, StepKind.reissue, settings, late);
  t.equal(lifetimeOf(state.serving).notAfter, lifetimeOf(fresh.signer).notAfter);
  t.match(nextStep(ok(fresh), names, schedule, { now: lifetimeOf(fresh.signer).notAfter }), {
    kind: StepKind.create,
    reason: /signing CA has expired/,
  });
});

/**
 * Three CA lifetimes in rounds of `tick`: the writer takes one step per round and publishes the
 * bundle; the API server holds a written bundle `publishLagMs` later; each replica serves what
 * the Secret held one round ago.
 */
function simulate(publishLagMs: number | undefined) {
  const { tickMs } = timingsFor(S);
  let state = applyStep(undefined, StepKind.create, settings, T0);
  let apiServerBundle = bundlePem(state); // the install: trust and certificate arrive together
  let written = { bundle: apiServerBundle, at: T0 };
  const steps: { kind: string; at: number }[] = [];
  const problems: string[] = [];
  let overlapSeen = false;
  let maxTrusted = 0;
  for (let now = T0 + tickMs; now < T0 + 3 * C; now += tickMs) {
    if (publishLagMs !== undefined && now - written.at >= publishLagMs) apiServerBundle = written.bundle;
    const publishedForMs =
      apiServerBundle === bundlePem(state) ? now - written.at - (publishLagMs ?? 0) : undefined;
    const step = nextStep(ok(state), names, schedule, { now, publishedForMs });
    const servedByReplicas = state.serving; // replicas read the Secret as of the previous round
    if (step.kind !== 'none') {
      steps.push({ kind: step.kind, at: now - T0 });
      state = applyStep(state, step.kind, settings, now);
      if (bundlePem(state) !== written.bundle) written = { bundle: bundlePem(state), at: now };
    }
    const trusted = splitPemBundle(apiServerBundle);
    if (trusted.length === 2) overlapSeen = true;
    maxTrusted = Math.max(maxTrusted, state.trusted.length);
    if (state.trusted.some((ca) => lifetimeOf(ca).notAfter < now - tickMs))
      problems.push(`${now - T0} ms: an expired CA is still in the bundle`);
    for (const served of [servedByReplicas, state.serving]) {
      const { notAfter } = lifetimeOf(served);
      if (notAfter <= now) problems.push(`${now - T0} ms: an expired certificate is served`);
      const verifies = trusted
        .map(certificate)
        .some((ca) => issuedBy(served, ca) && lifetimeOf(ca).notAfter > now);
      if (!verifies && publishLagMs !== undefined)
        problems.push(`${now - T0} ms: a served certificate the API server does not trust`);
    }
  }
  return { steps, problems, overlapSeen, maxTrusted };
}

t.test('three CA lifetimes: every certificate served is trusted by the API server', async (t) => {
  const { steps, problems, overlapSeen, maxTrusted } = simulate(3000);
  t.same(problems, [], 'no moment where a replica serves what the API server would refuse');
  t.ok(overlapSeen, 'old and new CA were trusted together');
  const count = (kind: string) => steps.filter((s) => s.kind === kind).length;
  // A CA is replaced two thirds into its life: at 120, 240, 360 and 480 s of the 540 s.
  t.equal(count(StepKind.introduceCa), 4, 'the CA was replaced every 120 s');
  t.equal(count(StepKind.promoteCa), 4);
  t.equal(maxTrusted, 2, 'never more than two CAs trusted');
  t.ok(count(StepKind.reissue) >= 8, `${count(StepKind.reissue)} serving renewals`);
  t.equal(count(StepKind.create), 0, 'never started over');
  for (const introduce of steps.filter((s) => s.kind === StepKind.introduceCa)) {
    const promote = steps.find((s) => s.kind === StepKind.promoteCa && s.at > introduce.at)!;
    const waited = promote.at - introduce.at;
    t.ok(waited >= 3000 + schedule.settleMs, `the new CA signed ${waited} ms after it was introduced`);
  }
});

t.test(
  'webhook configurations that never take the bundle: the new CA signs before the old expires',
  async (t) => {
    const { steps } = simulate(undefined);
    const introduce = steps.find((s) => s.kind === StepKind.introduceCa)!;
    const promote = steps.find((s) => s.kind === StepKind.promoteCa)!;
    t.ok(promote.at > introduce.at);
    t.ok(promote.at < C, `promoted at ${promote.at} ms, before the first CA ends at ${C} ms`);
    t.equal(steps.filter((s) => s.kind === StepKind.create).length, 0);
  },
);
