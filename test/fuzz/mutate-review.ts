// Hostile AdmissionReviews: valid recorded reviews with fields dropped, retyped, blown up,
// nested deep, or spelled with odd keys. Used by the property tests and by `npm run fuzz`.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { largeReview, manyKeysReview, type LargeKind } from '../fixtures/large-objects.js';

const FIXTURES = ['pod-create.json', 'deployment-update.json'].map((name) =>
  readFileSync(new URL(`../../bench/reviews/${name}`, import.meta.url), 'utf8'),
);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Slot = { parent: Json[] | { [key: string]: Json }; key: string | number };

// Iterative: a deep-nesting mutation must not overflow the generator itself.
function slots(root: Json): Slot[] {
  const out: Slot[] = [];
  const stack: Json[] = [root];
  while (stack.length) {
    const value = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value)) {
      out.push({ parent: value, key: Array.isArray(value) ? Number(key) : key });
      stack.push(child);
    }
  }
  return out;
}

const ODD_STRINGS = [
  '',
  '\u0000',
  '\u202e\u202d',
  '\ud800',
  '🚀'.repeat(50),
  'a\nb\r\nc',
  '%s%n',
  '../../etc/passwd',
  'A'.repeat(300),
];

function deep(depth: number): Json {
  let v: Json = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? { d: v } : [v];
  return v;
}

export const Mutation = {
  drop: 'drop',
  replace: 'replace',
  hugeString: 'hugeString',
  deep: 'deep',
  oddString: 'oddString',
  protoKey: 'protoKey',
} as const;
type Mutation = keyof typeof Mutation;

const mutationArb = fc.record({
  kind: fc.constantFrom(...(Object.keys(Mutation) as Mutation[])),
  at: fc.nat(),
  value: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  size: fc.integer({ min: 1, max: 300 }),
  pick: fc.nat(),
});

type Mutate = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

function apply(root: Json, m: Mutate): void {
  const all = slots(root);
  if (all.length === 0) return;
  const { parent, key } = all[m.at % all.length]!;
  const set = (v: Json) => ((parent as Record<string | number, Json>)[key] = v);
  switch (m.kind) {
    case 'drop':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      break;
    case 'replace':
      set(m.value);
      break;
    case 'hugeString':
      set('x'.repeat(m.size * 100));
      break;
    case 'deep':
      set(deep(m.size));
      break;
    case 'oddString':
      set(ODD_STRINGS[m.pick % ODD_STRINGS.length]!);
      break;
    case 'protoKey':
      if (!Array.isArray(parent)) {
        // Own properties named like prototype keys, as JSON.parse creates them.
        const hostile = JSON.parse(
          '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
        );
        parent[key as string] = hostile;
      }
      break;
  }
}

/**
 * Review bodies as text: a recorded review with up to six mutations, sometimes a duplicate key,
 * sometimes an array nested tens of thousands deep (deeper than JSON.stringify can walk back).
 */
const mutatedReview: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...FIXTURES),
    fc.array(mutationArb, { maxLength: 6 }),
    fc.boolean(),
    fc.option(fc.integer({ min: 1_000, max: 50_000 }), { freq: 10 }),
  )
  .map(([text, mutations, duplicateUid, depth]) => {
    const root = JSON.parse(text) as Json;
    for (const m of mutations) apply(root, m);
    let out = JSON.stringify(root);
    // A duplicate key: JSON.parse keeps the last one, as Go's decoder does.
    if (duplicateUid) out = out.replace('"uid":', '"uid":"shadowed","uid":');
    if (depth !== null)
      out = out.replace('"dryRun":', `"nested":${'['.repeat(depth)}${']'.repeat(depth)},"dryRun":`);
    return out;
  });

/**
 * The large cases: a Pod or Deployment of hundreds to 20,000 containers that each break a rule,
 * or a Pod of up to 7 MiB of small annotation keys, with up to two mutations. Rare (one case in
 * 200): each costs what a hundred small ones do.
 */
export const largeReviewText: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom<LargeKind>('Pod', 'Deployment'),
      fc.constantFrom(500, 1_000, 2_000, 5_000, 5_000, 20_000),
      fc.array(mutationArb, { maxLength: 2 }),
    )
    .map(([kind, containers, mutations]) => {
      const root = largeReview(kind, containers) as unknown as Json;
      for (const m of mutations) apply(root, m);
      return JSON.stringify(root);
    }),
  fc.constantFrom(0.5, 3, 7).map((mib) => manyKeysReview(mib)),
);

export const hostileReview: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: mutatedReview, weight: 199 },
  { arbitrary: largeReviewText, weight: 1 },
);
