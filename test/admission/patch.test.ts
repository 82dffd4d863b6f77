// The patch derived from a draft, applied by a real RFC 6902 implementation, must rebuild the
// draft exactly, and must touch nothing the draft did not change.
import t, { type Test } from 'tap';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import jsonPatch from 'fast-json-patch';
import {
  derivePatch,
  encodePatch,
  escapePointerToken,
  type PatchOperation,
} from '../../src/admission/patch.js';
import { valueAtPointer } from '../../src/json.js';

type Doc = Record<string, unknown>;

/** Edits a copy with `edit`, derives the patch, applies it to the original: must equal the copy. */
function roundTrip(t: Test, original: Doc, edit: (draft: Doc) => void): PatchOperation[] {
  const draft = structuredClone(original);
  edit(draft);
  const ops = derivePatch(original, draft);
  const frozen = structuredClone(original);
  const patched = jsonPatch.applyPatch(frozen, structuredClone(ops) as jsonPatch.Operation[], true, false);
  t.same(patched.newDocument, draft, 'the patch rebuilds the draft');
  t.strictSame(derivePatch(draft, structuredClone(draft)), [], 'a second pass yields no patch');
  return ops;
}

t.test('no change, no patch', async (t) => {
  const doc = { metadata: { name: 'a', labels: { x: '1' } }, spec: { containers: [{ name: 'a' }] } };
  t.strictSame(derivePatch(doc, structuredClone(doc)), []);
  t.strictSame(derivePatch([], []), []);
});

t.test('slash and tilde in keys are escaped per RFC 6901', async (t) => {
  t.equal(escapePointerToken('app.kubernetes.io/name'), 'app.kubernetes.io~1name');
  t.equal(escapePointerToken('a~b'), 'a~0b');
  t.equal(escapePointerToken('~1'), '~01', 'a literal ~1 stays two characters, not a slash');
  const original = { metadata: { annotations: { 'example.com/a~b': 'old', 'x/y': 'keep' } } };
  const ops = roundTrip(t, original, (d) => {
    const annotations = (d.metadata as Doc).annotations as Doc;
    annotations['example.com/a~b'] = 'new';
    annotations['kube-hygiene.io/~1'] = 'added';
  });
  t.strictSame(ops, [
    { op: 'replace', path: '/metadata/annotations/example.com~1a~0b', value: 'new' },
    { op: 'add', path: '/metadata/annotations/kube-hygiene.io~1~01', value: 'added' },
  ]);
  t.equal(valueAtPointer(original, '/metadata/annotations/x~1y'), 'keep', 'pointers read back the same way');
});

t.test('missing parents are added with the new subtree, existing ones are not replaced', async (t) => {
  const original = { spec: { containers: [{ name: 'app', image: 'i', futureField: { kept: true } }] } };
  const ops = roundTrip(t, original, (d) => {
    const c = ((d.spec as Doc).containers as Doc[])[0]!;
    c.env = [{ name: 'POD_NAME' }];
    (d.spec as Doc).nodeSelector = { 'kubernetes.io/arch': 'arm64' };
  });
  t.strictSame(ops, [
    { op: 'add', path: '/spec/containers/0/env', value: [{ name: 'POD_NAME' }] },
    { op: 'add', path: '/spec/nodeSelector', value: { 'kubernetes.io/arch': 'arm64' } },
  ]);
  t.notOk(
    ops.some((op) => op.op === 'replace'),
    'no object is replaced whole, so fields unknown here survive',
  );
});

t.test('entries appended to an array keep the user entries where they were', async (t) => {
  const original = {
    env: [
      { name: 'A', value: '1' },
      { name: 'B', valueFrom: { secretKeyRef: { name: 's' } } },
    ],
  };
  const ops = roundTrip(t, original, (d) => {
    (d.env as Doc[]).push({ name: 'C' }, { name: 'D' });
  });
  t.strictSame(ops, [
    { op: 'add', path: '/env/-', value: { name: 'C' } },
    { op: 'add', path: '/env/-', value: { name: 'D' } },
  ]);
});

t.test('nested changes go to the deepest member that changed', async (t) => {
  const original = {
    spec: {
      template: { spec: { initContainers: [{ name: 'init' }], containers: [{ name: 'a', env: [] }] } },
    },
  };
  const ops = roundTrip(t, original, (d) => {
    const spec = ((d.spec as Doc).template as Doc).spec as Doc;
    ((spec.containers as Doc[])[0]!.env as Doc[]).push({ name: 'X' });
    (spec.initContainers as Doc[])[0]!.restartPolicy = 'Always';
  });
  t.strictSame(ops, [
    { op: 'add', path: '/spec/template/spec/initContainers/0/restartPolicy', value: 'Always' },
    { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'X' } },
  ]);
});

t.test('removals and shrinking arrays apply in an order that stays valid', async (t) => {
  const original = { a: 1, gone: { deep: true }, list: [1, 2, 3, 4], nul: null };
  const ops = roundTrip(t, original, (d) => {
    delete d.gone;
    d.list = [1, 9];
    d.nul = { now: 'set' };
  });
  t.strictSame(ops, [
    { op: 'remove', path: '/gone' },
    { op: 'replace', path: '/list/1', value: 9 },
    { op: 'remove', path: '/list/3' },
    { op: 'remove', path: '/list/2' },
    { op: 'replace', path: '/nul', value: { now: 'set' } },
  ]);
});

t.test('keys named like Object.prototype members are plain keys', async (t) => {
  const original = { labels: { constructor: 'x' } as Doc };
  const ops = roundTrip(t, original, (d) => {
    (d.labels as Doc)['toString'] = 'y';
  });
  t.strictSame(ops, [{ op: 'add', path: '/labels/toString', value: 'y' }]);
  t.equal(valueAtPointer({}, '/constructor'), undefined);
});

t.test('a member set to undefined is removed, as JSON would drop it', async (t) => {
  const ops = derivePatch({ a: 1, b: 2 }, { a: 1, b: undefined, c: undefined });
  t.strictSame(ops, [{ op: 'remove', path: '/b' }]);
});

t.test('encodePatch is base64 of the JSON operations', async (t) => {
  const ops: PatchOperation[] = [{ op: 'add', path: '/a~1b', value: 'ü' }];
  t.strictSame(JSON.parse(Buffer.from(encodePatch(ops), 'base64').toString('utf8')), ops);
});

// Properties over generated documents: whatever the edit, the patch rebuilds the draft, and a
// second pass finds nothing. A fixed seed keeps the suite repeatable.
const SEED = 20261123;
const TRICKY_KEYS = [
  'a',
  'b',
  'a/b',
  '~',
  '~1',
  '~0/',
  '',
  'constructor',
  'toString',
  'app.kubernetes.io/name',
];
const key = fc.constantFrom(...TRICKY_KEYS);
const document = fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });

// Compared as JSON: generated objects may lack a prototype, which JSON cannot tell apart.
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

function applies(original: unknown, draft: unknown): boolean {
  const ops = derivePatch(original, draft);
  // Own keys named `constructor`/`prototype` are plain data here; the library's guard would refuse them.
  const patched = jsonPatch.applyPatch(
    structuredClone(original),
    structuredClone(ops) as jsonPatch.Operation[],
    true,
    false,
    false,
  );
  return (
    isDeepStrictEqual(asJson(patched.newDocument), asJson(draft)) &&
    derivePatch(draft, structuredClone(draft)).length === 0
  );
}

/** Walks `steps` into `node` and edits where it stops: set, delete, append or replace. */
function edit(node: unknown, steps: number[], op: number, value: unknown, name: string): void {
  for (const step of steps) {
    const children = Array.isArray(node) ? node : isObject(node) ? Object.values(node) : [];
    const next = children[step % Math.max(children.length, 1)];
    if (typeof next !== 'object' || next === null) break;
    node = next;
  }
  if (Array.isArray(node)) {
    if (op % 3 === 0) node.push(value);
    else if (op % 3 === 1 && node.length) node.pop();
    else if (node.length) node[op % node.length] = value;
  } else if (isObject(node)) {
    if (op % 2 === 0) node[name] = value;
    else delete node[Object.keys(node)[op % Math.max(Object.keys(node).length, 1)] ?? name];
  }
}
const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

t.test('any two documents: the patch turns one into the other', async (t) => {
  fc.assert(fc.property(document, document, applies), { seed: SEED, numRuns: 300 });
  t.pass('300 pairs');
});

t.test('a document and an edited copy: the patch rebuilds the copy', async (t) => {
  const edits = fc.array(
    fc.tuple(fc.array(fc.nat(), { maxLength: 4 }), fc.nat(), fc.jsonValue({ maxDepth: 2 }), key),
    { minLength: 1, maxLength: 4 },
  );
  fc.assert(
    fc.property(document, edits, (original, list) => {
      const draft = structuredClone(original);
      for (const [steps, op, value, name] of list) edit(draft, steps, op, value, name);
      return applies(original, draft);
    }),
    { seed: SEED, numRuns: 500 },
  );
  t.pass('500 edited documents');
});
