// The per-request counts are published at scrape time: Prometheus must read exactly what
// prom-client's own Counter and Histogram would have exposed for the same requests.
import t from 'tap';
import { Counter, Histogram, Registry } from 'prom-client';
import { RequestCounter, RequestHistogram } from '../../src/metrics/request-counts.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.1, 1, 5];

t.test('the histogram exposes what a prom-client Histogram exposes for the same observations', async (t) => {
  const ours = new Registry();
  const theirs = new Registry();
  const options = { name: 'test_duration_seconds', help: 'Time taken', buckets: BUCKETS };
  const mine = new RequestHistogram({ ...options, label: 'webhook', registers: [ours] });
  const reference = new Histogram({ ...options, labelNames: ['webhook'], registers: [theirs] });
  t.equal(await ours.metrics(), await theirs.metrics(), 'nothing observed yet: the same text');
  // Bounds themselves, values between them, beyond the last, and zero.
  const seconds = [0, 0.0005, 0.0004, 0.0011, 0.003, 0.2, 1, 4.9, 5, 7.5, 30, 0.01];
  seconds.forEach((s, i) => {
    const webhook = i % 3 ? 'validate' : 'mutate';
    mine.observe(webhook, s);
    reference.observe({ webhook }, s);
  });
  const text = await ours.metrics();
  t.equal(text, await theirs.metrics());
  t.match(text, /test_duration_seconds_bucket\{le="\+Inf",webhook="validate"\} 8/);
  mine.reset();
  t.notMatch(await ours.metrics(), /webhook=/, 'reset empties it');
});

t.test('the counter exposes what a prom-client Counter exposes for the same increments', async (t) => {
  const ours = new Registry();
  const theirs = new Registry();
  const options = {
    name: 'test_requests_total',
    help: 'Requests',
    labelNames: ['kind', 'decision'] as const,
  };
  const mine = new RequestCounter({ ...options, registers: [ours] });
  const reference = new Counter({ ...options, registers: [theirs] });
  const incs = [
    { kind: 'Pod', decision: 'denied' },
    { kind: 'Pod', decision: 'denied' },
    { kind: 'Pod', decision: 'allowed' },
    { kind: '', decision: 'error' },
    // Label values that would run together if they were only concatenated.
    { kind: 'Pod', decision: 'deniedx' },
    { kind: 'Podd', decision: 'enied' },
  ];
  for (const labels of incs) {
    mine.inc(labels);
    reference.inc(labels);
  }
  t.equal(await ours.metrics(), await theirs.metrics());
  t.equal(await ours.metrics(), await theirs.metrics(), 'a second scrape counts nothing twice');
  mine.inc({ kind: 'Pod', decision: 'denied' });
  t.match(await ours.metrics(), /test_requests_total\{kind="Pod",decision="denied"\} 3/);
});

t.test(
  'a zeroed series is published at 0 until its first count, as prom-client inc(labels, 0)',
  async (t) => {
    const ours = new Registry();
    const theirs = new Registry();
    const options = {
      name: 'test_refusals_total',
      help: 'Refusals',
      labelNames: ['webhook', 'decision'] as const,
    };
    const mine = new RequestCounter({ ...options, registers: [ours] });
    const reference = new Counter({ ...options, registers: [theirs] });
    for (const webhook of ['validate', 'mutate']) {
      mine.zero({ webhook, decision: 'error' });
      reference.inc({ webhook, decision: 'error' }, 0);
    }
    t.equal(await ours.metrics(), await theirs.metrics());
    t.match(await ours.metrics(), /test_refusals_total\{webhook="mutate",decision="error"\} 0/);
    mine.inc({ webhook: 'mutate', decision: 'error' });
    mine.zero({ webhook: 'mutate', decision: 'error' });
    t.match(
      await ours.metrics(),
      /test_refusals_total\{webhook="mutate",decision="error"\} 1/,
      'zero() keeps a count',
    );
  },
);
