// The per-request counts are published at scrape time: Prometheus must read exactly what
// prom-client's own Counter would have exposed for the same requests.
import t from 'tap';
import { Counter, Registry } from 'prom-client';
import { RequestCounter } from '../../src/metrics/request-counts.js';

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
