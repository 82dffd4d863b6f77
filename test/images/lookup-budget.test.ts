import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { LookupBudget } from '../../src/images/lookup-budget.js';

t.test('the signal fires when the budget is spent, counted from when the budget was made', async (t) => {
  const budget = new LookupBudget(120);
  await sleep(60);
  const { signal } = budget;
  t.equal(signal.aborted, false, 'still time left');
  t.equal(budget.signal, signal, 'one signal per budget');
  const fired = await Promise.race([
    new Promise<number>((resolve) => signal.addEventListener('abort', () => resolve(Date.now()))),
    sleep(1000).then(() => -1),
  ]);
  t.not(fired, -1, 'it fired');
  t.equal((signal.reason as DOMException).name, 'TimeoutError', 'as a timeout, which lookups report as such');
});

t.test('a budget read after its end is already spent', async (t) => {
  const budget = new LookupBudget(10);
  await sleep(30);
  t.equal(budget.signal.aborted, true);
});

t.test('released once the request is answered: the signal never fires', async (t) => {
  const budget = new LookupBudget(40);
  const { signal } = budget;
  budget.release();
  await sleep(100);
  t.equal(signal.aborted, false);
});
