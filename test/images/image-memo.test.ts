// What a policy concluded about an image string is judged once per policy, within bounds.
import t from 'tap';
import { ImageMemo } from '../../src/images/image-memo.js';

t.test('judged once per owner and image; "nothing wrong" is remembered too', async (t) => {
  const memo = new ImageMemo<object, string | null>();
  const [policy, reloaded] = [{}, {}];
  let judged = 0;
  const judge = (verdict: string | null) => () => (judged++, verdict);
  t.equal(memo.get(policy, 'nginx:latest', judge('mutable')), 'mutable');
  t.equal(memo.get(policy, 'nginx:latest', judge('other')), 'mutable', 'the first verdict is kept');
  t.equal(memo.get(policy, 'ghcr.io/acme/api:v1.2.3', judge(null)), null);
  t.equal(memo.get(policy, 'ghcr.io/acme/api:v1.2.3', judge('other')), null, 'a null verdict is kept');
  t.equal(judged, 2);
  t.equal(memo.get(reloaded, 'nginx:latest', judge('under the new policy')), 'under the new policy');
  t.equal(judged, 3, 'a reloaded policy judges afresh');
});

t.test('a huge image string is judged every time and never kept; entries are bounded', async (t) => {
  const memo = new ImageMemo<object, number>();
  const policy = {};
  let judged = 0;
  const huge = `registry.example.com/${'a'.repeat(1 << 20)}:v1`;
  memo.get(policy, huge, () => ++judged);
  memo.get(policy, huge, () => ++judged);
  t.equal(judged, 2, 'judged twice, kept never');
  for (let i = 0; i < 5000; i++) memo.get(policy, `img-${i}:v1`, () => i);
  // 4096 entries fit; the next one starts the memo over, so the earliest are judged again.
  t.equal(
    memo.get(policy, 'img-0:v1', () => -1),
    -1,
    'the earliest entry was dropped when the memo started over',
  );
  t.equal(
    memo.get(policy, 'img-4999:v1', () => -1),
    4999,
    'recent entries are kept',
  );
});
