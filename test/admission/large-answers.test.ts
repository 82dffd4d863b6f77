// Thousands of violating containers, through the same function the server and the CLI call:
// every part of the answer stays within the API server's limits, in bytes, whatever the count,
// and a patch too large to store is replaced by a warning saying what to do.
import t from 'tap';
import jsonPatch from 'fast-json-patch';
import { handleReview } from '../../src/admission/handle.js';
import { PATCH_MAX_BYTES } from '../../src/admission/patch-limit.js';
import { loadPolicyFile } from '../../src/policy/load.js';
import { largeReview, type LargeKind } from '../fixtures/large-objects.js';

const policy = loadPolicyFile();
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

async function answer(kind: LargeKind, containers: number, endpoint: 'validate' | 'mutate') {
  const review = largeReview(kind, containers);
  const outcome = await handleReview(structuredClone(review), endpoint, { policy });
  if (!outcome.answered) throw new Error('refused');
  return { review, response: outcome.body.response, size: bytes(JSON.stringify(outcome.body)) };
}

t.test(
  'a denial of 5,000 containers: one message of at most 4 KiB, "and N more", bounded annotations',
  async (t) => {
    for (const kind of ['Deployment', 'Pod'] as const) {
      const { response, size } = await answer(kind, 5_000, 'validate');
      t.equal(response.allowed, false);
      const message = response.status!.message!;
      t.ok(bytes(message) <= 4096, `${kind}: message ${bytes(message)} bytes`);
      t.match(message, new RegExp(`^kube-hygiene denied ${kind} team/big: 5000 violations\\n`));
      const more = /… and (\d+) more violations: run kube-hygiene check/.exec(message);
      t.ok(more, 'the rest are counted');
      t.equal(message.split('\n').length - 2 + Number(more![1]), 5_000, 'listed + more = every violation');
      for (const [rule, value] of Object.entries(response.auditAnnotations ?? {})) {
        t.ok(bytes(value) <= 8192, `${kind}: annotation ${rule} ${bytes(value)} bytes`);
      }
      t.ok(size < 24 * 1024, `${kind}: whole answer ${size} bytes`);
    }
  },
);

t.test('the answer does not grow with the containers', async (t) => {
  const sizes = [];
  for (const n of [500, 5_000, 20_000]) sizes.push((await answer('Deployment', n, 'validate')).size);
  t.ok(Math.max(...sizes) - Math.min(...sizes) < 64, `answers of ${sizes.join(', ')} bytes`);
});

t.test(
  'a Pod of 5,000 sidecars on /mutate: no patch past the limit, a warning saying what to do',
  async (t) => {
    const { response, size } = await answer('Pod', 5_000, 'mutate');
    t.equal(response.allowed, true);
    t.notOk(response.patch, 'no patch');
    t.ok(size < 24 * 1024, `answer ${size} bytes`);
    const warning = response.warnings!.find((w) => w.startsWith('[pod-identity-env] not applied'));
    t.ok(warning, 'pod-identity-env says it was not applied');
    t.match(warning, /over this webhook's 1 MiB limit .*admitted unchanged: make the change in the manifest/);
    t.ok(bytes(warning!) <= 256, 'and says so in full');
  },
);

t.test('a Pod of 500 sidecars on /mutate gets its patch, which applies', async (t) => {
  const { review, response } = await answer('Pod', 500, 'mutate');
  const text = Buffer.from(response.patch!, 'base64').toString('utf8');
  t.ok(bytes(text) <= PATCH_MAX_BYTES, `patch ${bytes(text)} bytes`);
  const ops = JSON.parse(text) as jsonPatch.Operation[];
  const patched = jsonPatch.applyPatch(structuredClone(review.request.object), ops, true).newDocument as {
    spec: { containers: { env?: { name: string }[] }[] };
  };
  t.equal(patched.spec.containers.filter((c) => c.env?.length === 2).length, 499, 'every sidecar got both');
});
