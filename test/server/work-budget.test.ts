// One review's judging cannot hold the server: rules that each keep the CPU busy (a stand-in
// for judging thousands of containers) are run in slices, a small review sent meanwhile is
// answered before the large one, and a review that cannot be judged in time is answered by the
// failure policy at its deadline, its judging abandoned.
import t from 'tap';
import { RULES } from '../../src/rules/index.js';
import type { Rule } from '../../src/rules/rule.js';
import { startTestServer } from '../harness/server.js';
import { largeReview } from '../fixtures/large-objects.js';

const BUSY_MS = 200;
const BUSY_RULES = 8;

/** Rules that each hold the CPU for BUSY_MS on objects named "big", and count their runs. */
function busyRules() {
  const runs = { count: 0 };
  const rules: Rule[] = Array.from({ length: BUSY_RULES }, () => ({
    ...RULES[0]!,
    evaluate(ctx) {
      if (ctx.object.metadata?.name !== 'big') return [];
      runs.count++;
      const until = performance.now() + BUSY_MS;
      while (performance.now() < until);
      return [];
    },
  }));
  return { rules, runs };
}

function small() {
  const review = largeReview('Pod', 1, 'small');
  review.request.object!.metadata!.name = 'small';
  return review;
}
const big = () => largeReview('Deployment', 3, 'big');

t.test('a small review is answered while a large one is still being judged', async (t) => {
  const { rules, runs } = busyRules();
  const server = await startTestServer({ rules });
  t.teardown(() => server.stop());
  let bigAnswered = false;
  const large = server.post('/validate?timeout=10s', big()).then((res) => {
    bigAnswered = true;
    return res;
  });
  while (runs.count === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const res = await server.post('/validate?timeout=10s', small());
  t.equal(res.status, 200);
  t.notOk(bigAnswered, 'the small review was answered first');
  t.ok(runs.count < BUSY_RULES, `after ${runs.count} of ${BUSY_RULES} busy rules`);
  const done = await large;
  t.equal(done.json<{ response: { uid: string } }>().response.uid, 'big');
  t.equal(runs.count, BUSY_RULES, 'and the large one was judged in full, in time');
});

t.test(
  'a review that cannot be judged in time: answered by the failure policy, judging stopped',
  async (t) => {
    const { rules, runs } = busyRules();
    const server = await startTestServer({ rules });
    t.teardown(() => server.stop());
    const res = await server.post('/validate?timeout=1s', big());
    const { response } = res.json<{ response: { uid: string; allowed: boolean; warnings: string[] } }>();
    t.equal(response.uid, 'big');
    t.equal(response.allowed, true, 'let through, as the failure mode says');
    t.match(response.warnings, [/could not finish checking within the 1s timeout.*let through unchecked/]);
    // Give an abandoned run every chance to go on: it must not.
    const seen = runs.count;
    await new Promise((resolve) => setTimeout(resolve, 3 * BUSY_MS));
    t.equal(runs.count, seen, `judging stopped after ${seen} of ${BUSY_RULES} rules`);
    t.ok(seen < BUSY_RULES);
    t.match(
      server.logs.find((l) => l.msg === 'admission decision'),
      { decision: 'unchecked', unchecked: 'timeout' },
    );
    t.notOk(
      server.logs.some((l) => l.level === 'error'),
      'a deadline is not an engine failure',
    );
  },
);
