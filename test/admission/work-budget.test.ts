// The engine under a work budget: it pauses between steps once a slice is spent (so other
// reviews get the event loop), gives the same answer as one synchronous run, and stops once
// the review's deadline has passed.
import t from 'tap';
import { handleReview } from '../../src/admission/handle.js';
import { DeadlinePassed, WorkBudget } from '../../src/admission/work-budget.js';
import { loadPolicyFile } from '../../src/policy/load.js';
import { largeReview } from '../fixtures/large-objects.js';

const policy = loadPolicyFile();

t.test('a spent slice pauses the run between steps; the answer is the same', async (t) => {
  for (const endpoint of ['validate', 'mutate'] as const) {
    const review = largeReview('Pod', 300);
    const whole = await handleReview(structuredClone(review), endpoint, { policy });
    let pauses = 0;
    // A slice of 0 ms is spent at once: every step waits for its own turn of the event loop.
    const work = new WorkBudget({ sliceMs: 0, endsAt: Infinity, onPause: () => pauses++ });
    const outcome = handleReview(structuredClone(review), endpoint, { policy, work });
    t.ok(outcome instanceof Promise, `${endpoint}: answered in a later turn`);
    const sliced = await outcome;
    t.ok(pauses >= 2, `${endpoint}: ${pauses} pauses`);
    t.strictSame(sliced, whole, `${endpoint}: the same answer`);
  }
});

t.test('a run past its deadline stops at its next pause', async (t) => {
  let pauses = 0;
  const work = new WorkBudget({ sliceMs: 0, endsAt: performance.now() - 1, onPause: () => pauses++ });
  await t.rejects(
    Promise.resolve(handleReview(largeReview('Deployment', 50), 'validate', { policy, work })),
    DeadlinePassed,
  );
  t.equal(pauses, 1, 'no step after the first pause');
});

t.test('a small review with time to spare stays in the caller’s tick', async (t) => {
  const work = new WorkBudget({ sliceMs: 10_000, endsAt: Infinity });
  const outcome = handleReview(largeReview('Pod', 2), 'validate', { policy, work });
  t.notOk(outcome instanceof Promise, 'no promise, no pause');
});
