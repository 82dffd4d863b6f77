// copyJson: the deep copy the draft makes of what a rule edits.
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { copyJson } from '../../src/json.js';

t.test('a copy equals the original and shares no object with it', async (t) => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const copy = copyJson(value);
      if (!isDeepStrictEqual(copy, value)) return false;
      const objects = (v: unknown, out: object[] = []): object[] => {
        if (typeof v === 'object' && v !== null) {
          out.push(v);
          for (const child of Object.values(v)) objects(child, out);
        }
        return out;
      };
      const mine = new Set(objects(value));
      return objects(copy).every((o) => !mine.has(o));
    }),
    { seed: 20261123, numRuns: 500 },
  );
  t.pass('500 values');
});

t.test('nesting 100,000 deep is copied without overflowing the stack', async (t) => {
  let deep: unknown = 'bottom';
  for (let i = 0; i < 100_000; i++) deep = i % 2 ? { d: deep } : [deep];
  let node = copyJson(deep);
  let depth = 0;
  while (typeof node === 'object' && node !== null) {
    node = Array.isArray(node) ? node[0] : (node as { d: unknown }).d;
    depth++;
  }
  t.equal(depth, 100_000);
  t.equal(node, 'bottom');
});

t.test('a member named __proto__ is copied as a member, never as a prototype', async (t) => {
  const value = JSON.parse('{"__proto__":{"polluted":true},"a":[{"__proto__":1}]}') as Record<
    string,
    unknown
  >;
  const copy = copyJson(value);
  t.ok(Object.hasOwn(copy, '__proto__'));
  t.equal(Object.getPrototypeOf(copy), Object.prototype);
  t.ok(Object.hasOwn((copy.a as object[])[0]!, '__proto__'));
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});
