// The sliced JSON parser against the parser it stands in for (Fastify's own, secure-json-parse
// with __proto__ and constructor.prototype removed): the same value for every valid text, a
// refusal for every invalid one; and its work comes in bounded slices, stopped at a deadline.
import t from 'tap';
import fc from 'fast-check';
import Fastify from 'fastify';
import { isDeepStrictEqual } from 'node:util';
import { parseJsonInSlices, ParseDeadlinePassed, SlicedJson } from '../src/sliced-json.js';
import { manyKeysReview } from './fixtures/large-objects.js';

const fastify = Fastify();
const reference = fastify.getDefaultJsonParser('remove', 'remove');

/** What Fastify's parser makes of `text`: the value, or `refused`. */
function expected(text: string): { value?: unknown; refused?: true } {
  let out: { value?: unknown; refused?: true } = {};
  reference({} as never, text, (err, value) => (out = err ? { refused: true } : { value }));
  return out;
}

function sliced(text: string): { value?: unknown; refused?: true } {
  const parser = new SlicedJson(text);
  try {
    while (!parser.run(7));
    return { value: parser.value };
  } catch {
    return { refused: true };
  }
}

const HOSTILE = [
  '{"__proto__":{"polluted":true},"a":1}',
  '{"a":{"constructor":{"prototype":{"polluted":true}},"b":2}}',
  '{"constructor":{"x":1}}',
  '{"\\u005f_proto__":{"polluted":true}}',
  '[{"__proto__":1},{"constructor":{"prototype":1}}]',
  '{"a":1,"a":2,"b":3,"a":4}',
  '"\\ud800"',
  '-0',
  '1e400',
  ' \t\n\r[ 1 , 2 ]\n',
];
const BROKEN = [
  '',
  ' ',
  '{',
  '[1,]',
  '{"a":1,}',
  '{"a" 1}',
  '01',
  '1.',
  '.5',
  '+1',
  'tru',
  'nul',
  '"a\nb"',
  '"\\x"',
  '[1 2]',
  '{}{}',
  '{"a":1}x',
  "{'a':1}",
  'NaN',
  '"abc',
  '[',
  ']',
];

t.test('hand-picked texts: the same value, or the same refusal', async (t) => {
  for (const text of [...HOSTILE, ...BROKEN]) {
    t.same(sliced(text), expected(text), JSON.stringify(text));
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
});

// Valid JSON with hostile keys, then sometimes broken by a cut, a deletion or an inserted byte.
const key = fc.constantFrom('a', '__proto__', 'constructor', 'prototype', '', 'é', '\u0000');
const value = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 1 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value;
const text = fc
  .tuple(value, fc.nat(), fc.nat(3), fc.constantFrom(',', '"', ':', ']', '}', '\\', ' ', 'x', '\n'))
  .map(([v, at, how, byte]) => {
    const s = JSON.stringify(v, null, at % 3 === 0 ? 1 : undefined) ?? 'null';
    const i = at % (s.length + 1);
    return [s, s.slice(0, i), s.slice(0, i) + s.slice(i + 1), s.slice(0, i) + byte + s.slice(i)][how]!;
  });

t.test('generated texts: the same value, or the same refusal', async (t) => {
  fc.assert(
    fc.property(text, (s) => {
      const a = sliced(s);
      const b = expected(s);
      return a.refused ? b.refused === true : !b.refused && isDeepStrictEqual(a.value, b.value);
    }),
    { seed: 20261123, numRuns: 5_000 },
  );
  t.pass('5,000 texts');
});

t.test('7 MiB of small keys: parsed in slices of a bounded number of values each', async (t) => {
  const body = manyKeysReview(7);
  let slices = 0;
  // A slice of 0 ms ends at the first look at the clock: every slice is the fixed step count.
  const value = (await parseJsonInSlices(body, {
    sliceMs: 0,
    endsAt: Infinity,
    onSlice: () => slices++,
  })) as {
    request: { object: { metadata: { annotations: Record<string, string> } } };
  };
  const keys = Object.keys(value.request.object.metadata.annotations).length;
  t.ok(keys > 500_000, `${keys} annotation keys`);
  t.ok(slices >= keys / 2048, `${slices} slices for ${keys} keys: at most 2,048 values each`);
  t.ok(isDeepStrictEqual(value, JSON.parse(body)), 'the value JSON.parse gives');
});

t.test('a parse that reaches its deadline stops there', async (t) => {
  let slices = 0;
  await t.rejects(
    parseJsonInSlices(manyKeysReview(1), { sliceMs: 0, endsAt: performance.now(), onSlice: () => slices++ }),
    ParseDeadlinePassed,
  );
  t.equal(slices, 1, 'no slice after the deadline');
});
