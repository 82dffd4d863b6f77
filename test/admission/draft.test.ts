// The copy mutating rules edit: only the nodes asked for are copied, the original is never
// touched, and whatever is edited through it ends the same as the same edits on a whole copy.
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import jsonPatch from 'fast-json-patch';
import { Draft } from '../../src/admission/draft.js';
import { derivePatch } from '../../src/admission/patch.js';
import { escapePointerToken, type JsonObject } from '../../src/json.js';

type Doc = JsonObject;

const pod = (containers: number, annotations = 0): Doc => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    annotations: Object.fromEntries(Array.from({ length: annotations }, (_, i) => [`k${i}`, 'v'])),
  },
  spec: {
    containers: Array.from({ length: containers }, (_, i) => ({
      name: `c${i}`,
      image: 'ghcr.io/acme/app:v1',
      env: [{ name: 'A', value: 'a' }],
    })),
  },
});

t.test('an edit copies the node asked for and the nodes above it, nothing else', async (t) => {
  const original = pod(3, 10);
  const before = structuredClone(original);
  const draft = new Draft(original);
  t.equal(draft.edited, undefined, 'nothing is copied before a rule edits');
  const container = draft.edit('/spec/containers/1') as { env: unknown[] };
  container.env.push({ name: 'B', value: 'b' });
  const edited = draft.edited as typeof original & { spec: { containers: unknown[] }; metadata: unknown };
  const spec = (original.spec as { containers: unknown[] }).containers;
  t.equal(edited.metadata, original.metadata, 'untouched metadata is the original, not a copy');
  t.equal(edited.spec.containers[0], spec[0], 'an untouched sibling is shared');
  t.not(edited.spec.containers[1], spec[1], 'the edited container is a copy');
  t.strictSame(original, before, 'the original is never changed');
  t.strictSame(derivePatch(original, edited), [
    { op: 'add', path: '/spec/containers/1/env/-', value: { name: 'B', value: 'b' } },
  ]);
});

t.test('editing an ancestor after a descendant keeps the descendant edit', async (t) => {
  const original = pod(2);
  const draft = new Draft(original);
  (draft.edit('/spec/containers/0') as Doc).image = 'ghcr.io/acme/app:v2';
  const spec = draft.edit('/spec') as Doc;
  spec.nodeSelector = { 'kubernetes.io/arch': 'amd64' };
  const again = draft.edit('/spec/containers/0') as Doc;
  t.equal(again.image, 'ghcr.io/acme/app:v2');
  t.strictSame(
    derivePatch(original, draft.edited).map((op) => op.path),
    ['/spec/containers/0/image', '/spec/nodeSelector'],
  );
  t.equal((original.spec as { nodeSelector?: unknown }).nodeSelector, undefined);
});

t.test('pointers to nothing, or to a scalar, give nothing to edit', async (t) => {
  const draft = new Draft(pod(1));
  t.equal(draft.edit('/spec/containers/5'), undefined);
  t.equal(draft.edit('/spec/containers/0/image'), undefined);
  t.equal(draft.edit('/spec/containers/x'), undefined);
  t.equal(draft.edit('/nope/deeper'), undefined);
});

t.test('a member named __proto__ stays a plain member of the copy', async (t) => {
  const original = JSON.parse('{"metadata":{"annotations":{"__proto__":{"x":1},"a":"b"}}}') as Doc;
  const draft = new Draft(original);
  (draft.edit('/metadata/annotations') as Doc).c = 'd';
  const annotations = (draft.edited!.metadata as Doc).annotations as Doc;
  t.ok(Object.hasOwn(annotations, '__proto__'));
  t.equal(Object.getPrototypeOf(annotations), Object.prototype);
  t.equal(({} as Record<string, unknown>).x, undefined);
});

t.test(
  'the work of a patch follows the edit, not the object: 100,000 annotations are not read',
  async (t) => {
    const original = pod(2, 100_000);
    const meta = original.metadata as Doc;
    let reads = 0;
    // Counts every look at the annotations, by derivePatch or anyone else.
    meta.annotations = new Proxy(meta.annotations as Doc, {
      get: (target, k) => (reads++, Reflect.get(target, k)),
      ownKeys: (target) => (reads++, Reflect.ownKeys(target)),
    });
    const draft = new Draft(original);
    (draft.edit('/spec/containers/1') as Doc).image = 'ghcr.io/acme/app:v2';
    const ops = derivePatch(original, draft.edited);
    t.strictSame(ops, [{ op: 'replace', path: '/spec/containers/1/image', value: 'ghcr.io/acme/app:v2' }]);
    t.equal(reads, 0, 'the annotations were neither copied nor compared');
  },
);

// The same edits through a Draft and on a whole copy end the same, and the original stays as it was.
const key = fc.constantFrom('a', 'b', 'a/b', '~', '~1', '', 'constructor', 'app.kubernetes.io/name');
const document = fc.dictionary(key, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 5 });

// Compared as JSON: generated objects may lack a prototype, which JSON cannot tell apart.
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

/** JSON pointers of every object and array inside `root`. */
function pointers(root: unknown, at = ''): string[] {
  if (typeof root !== 'object' || root === null) return [];
  const out = [at];
  for (const [k, v] of Object.entries(root)) out.push(...pointers(v, `${at}/${escapePointerToken(k)}`));
  return out;
}

function change(node: unknown, op: number, value: unknown, name: string): void {
  if (Array.isArray(node)) {
    if (op % 3 === 0) node.push(value);
    else if (node.length) node[op % node.length] = value;
  } else if (typeof node === 'object' && node !== null) {
    if (op % 2 === 0) (node as Doc)[name] = value;
    else delete (node as Doc)[Object.keys(node)[0] ?? name];
  }
}

t.test('edits through a Draft equal the same edits on a whole copy', async (t) => {
  const edits = fc.array(fc.tuple(fc.nat(), fc.nat(), fc.jsonValue({ maxDepth: 2 }), key), {
    minLength: 1,
    maxLength: 5,
  });
  fc.assert(
    fc.property(document, edits, (original, list) => {
      const before = structuredClone(original);
      const whole = structuredClone(original);
      const draft = new Draft(original);
      for (const [pick, op, value, name] of list) {
        // Pointers as they stand before each edit, in the whole copy (the draft must agree).
        const all = pointers(whole);
        const pointer = all[pick % all.length]!;
        const target = jsonPatch.getValueByPointer(whole, pointer) as unknown;
        change(target, op, structuredClone(value), name);
        change(draft.edit(pointer), op, structuredClone(value), name);
      }
      const edited = draft.edited ?? original;
      return (
        isDeepStrictEqual(asJson(edited), asJson(whole)) &&
        isDeepStrictEqual(asJson(original), asJson(before))
      );
    }),
    { seed: 20261123, numRuns: 1_000 },
  );
  t.pass('1,000 edited documents');
});
