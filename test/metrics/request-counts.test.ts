// The per-request counts are published at scrape time: Prometheus must read exactly what
// prom-client's own Counter would have exposed for the same requests.
import t from 'tap';
import { Counter, Histogram, Registry } from 'prom-client';
import { RequestCounter, RequestDurations } from '../../src/metrics/request-counts.js';

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

t.test(
  'the duration histogram exposes what a prom-client Histogram exposes for the same observations',
  async (t) => {
    const ours = new Registry();
    const theirs = new Registry();
    const options = {
      name: 'test_duration_seconds',
      help: 'Durations',
      labelNames: ['webhook'] as const,
      buckets: [0.0005, 0.001, 0.01, 0.1, 1],
    };
    const mine = new RequestDurations({ ...options, registers: [ours] });
    const reference = new Histogram({ ...options, registers: [theirs] });
    // More than one held batch (1,024) of one label, a few of the other, bucket edges included.
    const seconds = (i: number) => [0.0005, 0.0004, 0.002, 0.1, 3, 0.00123 * (i % 7)][i % 6]!;
    for (let i = 0; i < 2_500; i++) {
      mine.observe('validate', seconds(i));
      reference.observe({ webhook: 'validate' }, seconds(i));
    }
    for (let i = 0; i < 5; i++) {
      mine.observe('mutate', seconds(i));
      reference.observe({ webhook: 'mutate' }, seconds(i));
    }
    t.equal(await ours.metrics(), await theirs.metrics());
    t.equal(await ours.metrics(), await theirs.metrics(), 'a second scrape counts nothing twice');
    mine.observe('mutate', 0.2);
    t.match(await ours.metrics(), /test_duration_seconds_count\{webhook="mutate"\} 6/);
  },
);
