// The edits mutating rules make: only the nodes on an edited path are copied, the original is
// never written (it is frozen here), a rule's edits are undone as one, and whatever is edited
// ends in exactly the patch that editing a whole copy and diffing it gave.
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import jsonPatch from 'fast-json-patch';
import { ObjectEdits } from '../../src/admission/edits.js';
import { derivePatch } from '../../src/admission/patch.js';
import { escapePointerToken, pointerSteps, type JsonObject } from '../../src/json.js';
import { deepFreeze } from '../fixtures/deep-freeze.js';

type Doc = JsonObject;

const pod = (containers: number, annotations = 0): Doc =>
  deepFreeze({
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

const patchOf = (edits: ObjectEdits, original: Doc) => derivePatch(original, edits.edited ?? original);

t.test('an edit copies the nodes on its path, nothing else', async (t) => {
  const original = pod(3, 10);
  const edits = new ObjectEdits(original);
  t.equal(edits.read('/spec/containers/1', ['name']), 'c1', 'reads see the original');
  t.equal(edits.edited, undefined, 'nothing is copied by reading');
  edits.append('/spec/containers/1', ['env'], { name: 'B', value: 'b' });
  const edited = edits.edited as Doc & { spec: { containers: Doc[] }; metadata: unknown };
  const containers = (original.spec as { containers: Doc[] }).containers;
  t.equal(edited.metadata, original.metadata, 'untouched metadata is the original, not a copy');
  t.equal(edited.spec.containers[0], containers[0], 'an untouched sibling is shared');
  t.not(edited.spec.containers[1], containers[1], 'the edited container is a copy');
  t.equal(edited.spec.containers[1]!.image, containers[1]!.image);
  t.same(edits.read('/spec/containers/1', ['env', '1']), { name: 'B', value: 'b' }, 'reads see edits');
  t.strictSame(patchOf(edits, original), [
    { op: 'add', path: '/spec/containers/1/env/-', value: { name: 'B', value: 'b' } },
  ]);
});

t.test('set creates missing parents; keys are given unescaped and escaped once', async (t) => {
  const original = pod(1);
  const edits = new ObjectEdits(original);
  edits.set('/spec', ['nodeSelector', 'kubernetes.io/arch'], 'arm64');
  edits.set('/metadata', ['annotations', 'example.com/a~b'], 'x');
  edits.set('/metadata', ['labels', '~1'], 'tilde-one');
  edits.replace('/spec/containers/0', ['image'], 'ghcr.io/acme/app:v2');
  t.strictSame(patchOf(edits, original), [
    { op: 'add', path: '/metadata/annotations/example.com~1a~0b', value: 'x' },
    { op: 'add', path: '/metadata/labels', value: { '~1': 'tilde-one' } },
    { op: 'replace', path: '/spec/containers/0/image', value: 'ghcr.io/acme/app:v2' },
    { op: 'add', path: '/spec/nodeSelector', value: { 'kubernetes.io/arch': 'arm64' } },
  ]);
});

t.test('a pointer built from escaped keys reaches the member', async (t) => {
  const original = deepFreeze({ metadata: { annotations: { 'a/b': { 'c~d': 'old' } } } });
  const edits = new ObjectEdits(original);
  edits.replace('/metadata/annotations/a~1b', ['c~d'], 'new');
  t.strictSame(patchOf(edits, original), [
    { op: 'replace', path: '/metadata/annotations/a~1b/c~0d', value: 'new' },
  ]);
});

t.test('writes that cannot be made say why and change nothing', async (t) => {
  const original = pod(1);
  const edits = new ObjectEdits(original);
  t.throws(
    () => edits.set('/spec', ['containers', '3', 'image'], 'x'),
    /cannot edit \/spec\/containers\/3: no such entry/,
  );
  t.throws(() => edits.set('/spec/containers', ['1'], {}), /no such entry \(append to add one\)/);
  t.throws(
    () => edits.append('/spec/containers/0', ['image'], 'x'),
    /inside \/spec\/containers\/0\/image: it is a string/,
  );
  t.throws(() => edits.append('/spec', [], 'x'), /append to \/spec: it is an object, not an array/);
  t.throws(() => edits.replace('/spec/containers/0', ['missing'], 'x'), /replace .*missing \(nothing\)/);
  t.throws(
    () => edits.replace('/spec/containers/0', ['env'], 'x'),
    /\(an array\) with a string: only a scalar/,
  );
  t.throws(() => edits.replace('/spec/containers/0', ['image'], {}), /with an object/);
  t.throws(() => edits.set('', [], {}), /whole object/);
  edits.rollback();
  t.equal(edits.edited, undefined);
});

t.test('a rolled-back transaction leaves nothing; earlier kept ones stay', async (t) => {
  const original = pod(2);
  const edits = new ObjectEdits(original);
  edits.append('/spec/containers/0', ['env'], { name: 'KEPT' });
  t.equal(edits.commit(), true, 'the first rule wrote');
  edits.append('/spec/containers/0', ['env'], { name: 'UNDONE' });
  edits.set('/spec/containers/1', ['image'], 'undone');
  edits.set('/metadata', ['labels', 'a'], 'undone');
  edits.rollback();
  t.equal(edits.commit(), false, 'a rule that only reads wrote nothing');
  t.strictSame(patchOf(edits, original), [
    { op: 'add', path: '/spec/containers/0/env/-', value: { name: 'KEPT' } },
  ]);
  const untouched = new ObjectEdits(original);
  untouched.set('/metadata', ['name'], 'q');
  untouched.rollback();
  t.equal(untouched.edited, undefined, 'all undone: the original is the answer again');
});

t.test('a member named __proto__ stays a plain member of the copy', async (t) => {
  const original = deepFreeze(
    JSON.parse('{"metadata":{"annotations":{"__proto__":{"x":1},"a":"b"}}}') as Doc,
  );
  const edits = new ObjectEdits(original);
  edits.set('/metadata/annotations', ['c'], 'd');
  edits.set('/metadata/annotations', ['__proto__', 'y'], 2);
  const annotations = (edits.edited!.metadata as Doc).annotations as Doc;
  t.ok(Object.hasOwn(annotations, '__proto__'));
  t.equal(Object.getPrototypeOf(annotations), Object.prototype);
  t.equal(({} as Record<string, unknown>).y, undefined);
  t.strictSame(
    patchOf(edits, original).map((op) => op.path),
    ['/metadata/annotations/__proto__/y', '/metadata/annotations/c'],
  );
});

t.test(
  'the work of a patch follows the edit, not the object: 100,000 annotations are not read',
  async (t) => {
    const built = pod(2, 0) as Doc & { metadata: Doc };
    let reads = 0;
    // Counts every look at the annotations, by the edits, derivePatch or anyone else.
    const annotations = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 'v']));
    const original = { ...built, metadata: { ...built.metadata } } as Doc & { metadata: Doc };
    original.metadata.annotations = new Proxy(annotations, {
      get: (target, k) => (reads++, Reflect.get(target, k)),
      ownKeys: (target) => (reads++, Reflect.ownKeys(target)),
    });
    const edits = new ObjectEdits(original);
    edits.replace('/spec/containers/1', ['image'], 'ghcr.io/acme/app:v2');
    edits.set('/metadata', ['labels', 'a'], 'b');
    t.strictSame(patchOf(edits, original), [
      { op: 'add', path: '/metadata/labels', value: { a: 'b' } },
      { op: 'replace', path: '/spec/containers/1/image', value: 'ghcr.io/acme/app:v2' },
    ]);
    t.equal(reads, 0, 'the annotations were neither copied nor compared');
  },
);

// ---- Random edit sequences: the edits API against the old way (edit a structuredClone of the
// whole object in place, then diff it with the original). Both must give the same patch text,
// and that patch, applied by fast-json-patch, must rebuild the edited object.

const key = fc.constantFrom(
  'a',
  'b',
  'a/b',
  '~',
  '~1',
  '',
  'constructor',
  'app.kubernetes.io/name',
  '0',
  '1',
);
const document = fc.dictionary(key, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 5 });
const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean(), fc.constant(null));
const editOp = fc.record({
  op: fc.constantFrom('set', 'append', 'replace'),
  pick: fc.nat(),
  keys: fc.array(key, { maxLength: 2 }),
  value: fc.jsonValue({ maxDepth: 2 }),
  scalar,
});
/** One rule's edits; `throws` when the rule fails after making them. */
const transaction = fc.record({ ops: fc.array(editOp, { maxLength: 4 }), throws: fc.boolean() });

type EditOp = typeof editOp extends fc.Arbitrary<infer T> ? T : never;

// Compared as JSON: generated objects may lack a prototype, which JSON cannot tell apart.
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');
const isNode = (v: unknown): v is Doc | unknown[] => typeof v === 'object' && v !== null;

/** JSON pointers of every object and array inside `root`. */
function pointers(root: unknown, at = ''): string[] {
  if (!isNode(root)) return [];
  const out = [at];
  for (const [k, v] of Object.entries(root)) out.push(...pointers(v, `${at}/${escapePointerToken(k)}`));
  return out;
}

const index = (array: unknown[], token: string) =>
  /^(0|[1-9][0-9]*)$/.test(token) && Number(token) < array.length ? Number(token) : undefined;

/** The old way: the same edit, made in place on a whole copy. Throws where the edit must fail. */
function editInPlace(root: Doc, at: string, keys: string[], { op, value, scalar }: EditOp): void {
  const steps = [...pointerSteps(at), ...keys];
  const last = op === 'append' ? undefined : steps.pop();
  if (op !== 'append' && last === undefined) throw new Error('root');
  if (op === 'replace') {
    let node: unknown = root;
    for (const s of [...steps, last!])
      node = isNode(node)
        ? Array.isArray(node)
          ? node[index(node, s) ?? -1]
          : Object.hasOwn(node, s)
            ? node[s]
            : undefined
        : undefined;
    if (node === undefined || isNode(node)) throw new Error('not a scalar');
  }
  let node: Doc | unknown[] = root;
  steps.forEach((s, i) => {
    let child: unknown;
    if (Array.isArray(node)) {
      const at = index(node, s);
      if (at === undefined || node[at] === null) throw new Error('no entry');
      child = node[at];
    } else {
      child = Object.hasOwn(node, s) ? node[s] : undefined;
      if (child === undefined || child === null) {
        child = op === 'append' && i === steps.length - 1 ? [] : {};
        Object.defineProperty(node, s, {
          value: child,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
    }
    if (!isNode(child)) throw new Error('not a node');
    node = child;
  });
  const written = op === 'replace' ? scalar : structuredClone(value);
  if (op === 'append') {
    if (!Array.isArray(node)) throw new Error('not an array');
    node.push(written);
  } else if (Array.isArray(node)) {
    const at = index(node, last!);
    if (at === undefined) throw new Error('no entry');
    node[at] = written;
  } else
    Object.defineProperty(node, last!, {
      value: written,
      writable: true,
      enumerable: true,
      configurable: true,
    });
}

t.test('random edit sequences give exactly the patch of the old clone-and-diff', async (t) => {
  let undone = 0;
  fc.assert(
    fc.property(document, fc.array(transaction, { minLength: 1, maxLength: 4 }), (generated, rules) => {
      const original = deepFreeze(structuredClone(generated));
      let whole = structuredClone(original);
      const edits = new ObjectEdits(original);
      for (const { ops, throws } of rules) {
        const before = structuredClone(whole);
        let failed = throws;
        for (const e of ops) {
          // Pointers as they stand now, in the whole copy: the edits must agree with it.
          const all = pointers(whole);
          const at = all[e.pick % all.length]!;
          let oldFailed = false;
          try {
            editInPlace(whole, at, e.keys, e);
          } catch {
            oldFailed = true;
          }
          let newFailed = false;
          try {
            const value = e.op === 'replace' ? e.scalar : structuredClone(e.value);
            edits[e.op](at, e.keys, value);
          } catch {
            newFailed = true;
          }
          if (oldFailed !== newFailed) return false;
          // A rule's edit that fails throws out of the rule: everything it did is undone.
          if (newFailed) {
            failed = true;
            break;
          }
        }
        if (failed) {
          undone++;
          whole = before;
          edits.rollback();
        } else edits.commit();
      }
      const expected = derivePatch(original, whole);
      const got = derivePatch(original, edits.edited ?? original);
      if (JSON.stringify(got) !== JSON.stringify(expected)) return false;
      // Own keys named `constructor` are plain data here; the library's guard would refuse them.
      const patched = jsonPatch.applyPatch(
        structuredClone(original),
        structuredClone(got) as jsonPatch.Operation[],
        true,
        false,
        false,
      );
      return isDeepStrictEqual(asJson(patched.newDocument), asJson(whole));
    }),
    { seed: 20261205, numRuns: 2_000 },
  );
  t.ok(undone > 100, `rules undone along the way: ${undone}`);
});
