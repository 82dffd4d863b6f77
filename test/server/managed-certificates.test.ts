// The managed-certificates loop with an in-memory cluster: one writer among replicas, every
// replica serving what the Secret holds, API errors logged and paced while the certificate in use
// keeps serving, a broken Secret replaced, and a writer that stops replaced by another.
import t, { type Test } from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { LeaderLease } from '../../src/cluster/leader-lease.js';
import {
  SECRET_KEYS,
  bundlePem,
  certificate,
  decodeSecret,
  issuedBy,
} from '../../src/certs/managed-state.js';
import { splitPemBundle } from '../../src/certs/webhook-certs.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { startManagedCertificates, type ManagedCertificates } from '../../src/server/managed-certificates.js';
import { CertificateCluster } from '../harness/certificate-cluster.js';
import { eventually } from '../harness/eventually.js';
import type { LogLine } from '../harness/server.js';

const TIMINGS = { tickMs: 50, leaseMs: 1000, settleMs: 200, maxBackoffMs: 400 };

interface Replica {
  readonly name: string;
  readonly store: ManagedCertificates;
  readonly lease: LeaderLease;
  readonly logs: LogLine[];
}

function replica(
  t: Test,
  cluster: CertificateCluster,
  name: string,
  validity = { certMs: 600_000, caMs: 1_800_000 },
): Replica {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino({ formatters: { level: (label) => ({ level: label }) } }, sink);
  const lease = new LeaderLease(cluster.leaseApi(), { identity: name, durationMs: TIMINGS.leaseMs });
  const store = startManagedCertificates({
    secret: cluster.secretApi(name),
    secretName: 'kube-hygiene/tls',
    lease,
    publish: cluster.publisher(),
    issue: {
      namespace: 'kube-hygiene',
      commonName: 'kube-hygiene.kube-hygiene.svc',
      dnsNames: ['kube-hygiene.kube-hygiene.svc'],
      ipAddresses: ['127.0.0.1'],
      certValidityMs: validity.certMs,
      caValidityMs: validity.caMs,
    },
    timings: TIMINGS,
    logger,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  t.teardown(() => store.stop());
  return { name, store, lease, logs };
}

const secretState = (cluster: CertificateCluster) => {
  const decoded = decodeSecret(cluster.secret?.data);
  if (decoded.kind !== 'ok') throw new Error(`secret is ${decoded.kind}`);
  return decoded.state;
};

t.test(
  'an empty Secret is filled by one of two replicas; both serve it; the bundle is published',
  async (t) => {
    const cluster = new CertificateCluster();
    const [a, b] = [replica(t, cluster, 'a'), replica(t, cluster, 'b')];
    await eventually(() => !a.store.readiness() && !b.store.readiness(), 5000, 'both ready');
    const state = secretState(cluster);
    t.equal(cluster.writes.length, 1, 'written once');
    t.equal(
      cluster.secret?.metadata?.labels?.shipped,
      'yes',
      'the shipped Secret was updated, its labels kept',
    );
    t.equal(a.store.current().cert, state.serving.pem);
    t.equal(b.store.current().cert, state.serving.pem);
    t.equal(cluster.published?.bundle, bundlePem(state), 'the bundle is in the webhook configurations');
    t.ok(
      issuedBy(state.serving, certificate(cluster.published!.bundle)),
      'and its CA issued the certificate',
    );
    t.equal([a, b].filter((r) => r.lease.leading()).length, 1, 'one writer');
    t.equal(cluster.lease?.holder, cluster.writes[0]!.by, 'the Lease holder wrote');
  },
);

t.test('before the first certificate a placeholder serves, and readiness says what is awaited', async (t) => {
  const cluster = new CertificateCluster();
  cluster.failing.set('secret.read', 500);
  const a = replica(t, cluster, 'a');
  await a.store.firstRound;
  t.match(
    a.store.readiness(),
    /waiting for the managed certificate: secret kube-hygiene\/tls cannot be read: get secret kube-hygiene\/tls failed: the API server answered 500/,
  );
  t.match(a.store.current().subjectAltName, 'kube-hygiene.invalid', 'a placeholder nobody trusts');
  t.ok(
    a.logs.some((l) => l.level === 'warn' && /answered 500/.test(l.msg)),
    'the failure is logged',
  );
  cluster.failing.delete('secret.read');
  await eventually(() => !a.store.readiness(), 5000, 'ready once the API answers');
  t.ok(a.logs.some((l) => l.msg === 'managed certificates: the API server answers again'));
});

t.test('API errors: logged once, paced, and the certificate in use keeps serving', async (t) => {
  const cluster = new CertificateCluster();
  const a = replica(t, cluster, 'a');
  await eventually(() => !a.store.readiness(), 5000, 'ready');
  const serving = a.store.current().fingerprint;
  cluster.failing.set('secret.read', 503);
  cluster.failing.set('lease.read', 503);
  const before = cluster.calls.get('secret.read') ?? 0;
  await new Promise((r) => setTimeout(r, 2000));
  const reads = (cluster.calls.get('secret.read') ?? 0) - before;
  // 50 ms rounds would be 40 reads; doubling pauses capped at 400 ms leave about 8.
  t.ok(reads >= 3 && reads <= 12, `${reads} reads in 2 s while failing`);
  const warned = a.logs.filter(
    (l) => l.level === 'warn' && /secret kube-hygiene\/tls failed: the API server answered 503/.test(l.msg),
  );
  t.equal(warned.length, 1, 'one line for a problem seen again and again');
  t.equal(a.store.current().fingerprint, serving, 'still serving');
  t.notOk(a.store.readiness(), 'still ready');
  t.notOk(a.lease.leading(), 'a writer that cannot renew its Lease stops writing');
  cluster.failing.clear();
  await eventually(() => a.lease.leading(), 5000, 'writing again');
});

t.test('a broken Secret is replaced by the writer; a 403 names the grant that is missing', async (t) => {
  const cluster = new CertificateCluster();
  cluster.secret = {
    metadata: { name: 'tls', resourceVersion: '7' },
    data: { [SECRET_KEYS.cert]: 'Z2FyYmFnZQ==' },
  };
  cluster.failing.set('secret.write', 403);
  const a = replica(t, cluster, 'a');
  await eventually(
    () => a.logs.some((l) => /grant update on secret kube-hygiene\/tls/.test(l.msg)),
    5000,
    'the 403',
  );
  t.match(a.store.readiness(), /cannot be used \(no ca.crt, ca-signer.crt, ca-signer.key, tls.key\)/);
  cluster.failing.delete('secret.write');
  await eventually(() => !a.store.readiness(), 5000, 'ready');
  t.ok(a.logs.some((l) => /^managed certificates: create: the Secret cannot be used/.test(l.msg)));

  const gone = new CertificateCluster({ secretExists: false });
  gone.failing.set('secret.write', 403);
  const b = replica(t, gone, 'b');
  await eventually(
    () => b.logs.some((l) => /create secret kube-hygiene\/tls failed: .*apply the overlay again/.test(l.msg)),
    5000,
    'the create hint',
  );
});

t.test(
  'short lifetimes, two replicas, the writer stops: renewals go on, always from a published CA',
  async (t) => {
    const cluster = new CertificateCluster();
    const validity = { certMs: 3000, caMs: 9000 };
    const a = replica(t, cluster, 'a', validity);
    const b = replica(t, cluster, 'b', validity);
    await eventually(() => !a.store.readiness() && !b.store.readiness(), 5000, 'both ready');
    const first = [a, b].find((r) => r.lease.leading())!;
    const other = first === a ? b : a;
    await eventually(() => cluster.writes.length >= 4, 8000, 'renewals');
    await first.store.stop();
    const stoppedAt = Date.now();
    await eventually(() => other.lease.leading(), 3000, 'the other replica writes');
    t.ok(Date.now() - stoppedAt < 1000, 'at once: the Lease was given up');
    await eventually(
      () => cluster.writes.filter((w) => w.by === other.name && w.at > stoppedAt).length >= 3,
      10_000,
      'renewals by the new writer',
    );
    t.notOk(
      cluster.writes.some((w) => w.by === first.name && w.at > stoppedAt),
      'the stopped replica wrote nothing more',
    );

    // After the first, every serving certificate comes from a CA the webhook configurations had
    // held for the settle time when it was written.
    const cas = new Set<string>();
    for (const w of cluster.writes.slice(1)) {
      const decoded = decodeSecret(w.data);
      if (decoded.kind !== 'ok') throw new Error('a write that does not read back');
      const { serving, trusted } = decoded.state;
      for (const ca of trusted) cas.add(ca.x509.fingerprint256);
      const settled = cluster.publications.filter((p) => p.at <= w.at - TIMINGS.settleMs);
      const trustedThen = settled.at(-1)?.bundle ?? '';
      t.ok(
        splitPemBundle(trustedThen).some((pem) => issuedBy(serving, certificate(pem))),
        `write at ${w.at - cluster.writes[0]!.at} ms: its certificate's CA had settled`,
      );
    }
    t.ok(cas.size >= 2, `${cas.size} CAs over the run`);
    t.equal(other.store.current().cert, secretState(cluster).serving.pem, 'serving the latest');
  },
);
