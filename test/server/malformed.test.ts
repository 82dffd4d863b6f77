// Everything that is not a usable AdmissionReview gets a JSON error with a code that says
// what is wrong, and the server keeps answering afterwards; hostile JSON included.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { ErrorCode } from '../../src/errors.js';
import { BODY_LIMIT } from '../../src/server/build.js';
import { startTestServer } from '../harness/server.js';

const server = await startTestServer();
t.teardown(() => server.stop());

const review = () =>
  JSON.parse(readFileSync(new URL('../../examples/reviews/pod-create.json', import.meta.url), 'utf8')) as {
    apiVersion: string;
    kind: string;
    request: Record<string, unknown> & { object: { spec: { containers: Record<string, unknown>[] } } };
  };

interface ErrorBody {
  error: { code: string; message: string; details: string[] };
}

async function stillServing(t: Test) {
  const res = await server.post('/validate', review());
  t.equal(res.status, 200, 'the next review is answered normally');
}

type Case = [
  name: string,
  body: string | Buffer,
  headers: Record<string, string>,
  status: number,
  code: string,
  says: RegExp,
];
const cases: Case[] = [
  [
    'no content-type',
    '{}',
    { 'content-type': '' },
    415,
    ErrorCode.REVIEW_UNSUPPORTED_MEDIA,
    /application\/json/,
  ],
  [
    'text/plain',
    JSON.stringify(review()),
    { 'content-type': 'text/plain' },
    415,
    ErrorCode.REVIEW_UNSUPPORTED_MEDIA,
    /text\/plain/,
  ],
  [
    'YAML',
    'apiVersion: admission.k8s.io/v1',
    { 'content-type': 'application/yaml' },
    415,
    ErrorCode.REVIEW_UNSUPPORTED_MEDIA,
    /JSON/,
  ],
  ['not JSON', '{"apiVersion": admission', {}, 400, ErrorCode.REVIEW_MALFORMED, /not JSON/],
  ['an empty body', '', {}, 400, ErrorCode.REVIEW_MALFORMED, /empty/],
  ['a JSON array', '[]', {}, 400, ErrorCode.REVIEW_MALFORMED, /JSON object/],
  ['a JSON string', '"review"', {}, 400, ErrorCode.REVIEW_MALFORMED, /JSON object/],
];
const without = (mutate: (r: ReturnType<typeof review>) => void) => {
  const r = review();
  mutate(r);
  return JSON.stringify(r);
};
cases.push(
  [
    'no request',
    without((r) => delete (r as Partial<typeof r>).request),
    {},
    400,
    ErrorCode.REVIEW_MALFORMED,
    /request: is required/,
  ],
  [
    'no request.uid',
    without((r) => delete r.request.uid),
    {},
    400,
    ErrorCode.REVIEW_MALFORMED,
    /request\.uid: is required/,
  ],
  [
    'apiVersion v1beta1',
    without((r) => (r.apiVersion = 'admission.k8s.io/v1beta1')),
    {},
    400,
    ErrorCode.REVIEW_MALFORMED,
    /apiVersion: must be "admission.k8s.io\/v1"/,
  ],
  [
    'kind Pod',
    without((r) => (r.kind = 'Pod')),
    {},
    400,
    ErrorCode.REVIEW_MALFORMED,
    /kind: must be "AdmissionReview"/,
  ],
);

for (const [name, body, headers, status, code, says] of cases) {
  t.test(`${name} → ${status} ${code}`, async (t) => {
    const res = await server.post('/validate', body, headers);
    t.equal(res.status, status);
    t.match(res.headers['content-type'], /^application\/json/);
    const { error } = res.json<ErrorBody>();
    t.equal(error.code, code);
    t.match(error.message, says, `the message says what is wrong: ${error.message}`);
    await stillServing(t);
  });
}

t.test(`a body over ${BODY_LIMIT} bytes → 413, one just under it is judged`, async (t) => {
  const big = review();
  big.request.object.spec.containers[0]!.args = ['x'.repeat(BODY_LIMIT)];
  const res = await server.post('/validate', JSON.stringify(big));
  t.equal(res.status, 413);
  t.equal(res.json<ErrorBody>().error.code, ErrorCode.REVIEW_TOO_LARGE);

  const fits = review();
  fits.request.object.spec.containers[0]!.args = ['x'.repeat(BODY_LIMIT - 4096)];
  const ok = await server.post('/validate', JSON.stringify(fits));
  t.equal(ok.status, 200, 'a legitimately large review is answered');
  t.equal(ok.json<{ response: { allowed: boolean } }>().response.allowed, false);
});

t.test('hostile JSON never crashes the server', async (t) => {
  const depth = 500_000;
  const deep = review();
  const deepText = JSON.stringify(deep).replace(
    '"restartPolicy"',
    `"deep":${'['.repeat(depth)}${']'.repeat(depth)},"restartPolicy"`,
  );
  for (const endpoint of ['validate', 'mutate']) {
    const res = await server.post(`/${endpoint}`, deepText);
    t.equal(res.status, 200, `${depth} levels of nesting are answered on /${endpoint}`);
  }
  const deepObject = JSON.stringify(review()).replace(
    '"restartPolicy"',
    `"deep":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)},"restartPolicy"`,
  );
  t.equal((await server.post('/mutate', deepObject)).status, 200, '100k nested objects on /mutate');

  const poisoned = JSON.stringify(review()).replace(
    '"labels":{',
    '"labels":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},',
  );
  t.match(poisoned, /__proto__/);
  for (const endpoint of ['validate', 'mutate']) {
    const res = await server.post(`/${endpoint}`, poisoned);
    t.equal(
      res.status,
      200,
      `__proto__ and constructor.prototype keys are dropped, the review answered on /${endpoint}`,
    );
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');

  const huge = review();
  huge.request.object.spec.containers[0]!.image = 'a'.repeat(6 * 1024 * 1024);
  const res = await server.post('/validate', JSON.stringify(huge));
  t.equal(res.status, 200, 'a 6 MiB image string is judged');
  t.ok(res.text.length < 64 * 1024, `the answer stays small (${res.text.length} bytes)`);
  await stillServing(t);
});

t.test('refused requests are counted as errors in the metrics', async (t) => {
  t.match(
    await server.metrics(),
    /kube_hygiene_admission_requests_total\{webhook="validate",kind="",operation="",decision="error"\} [1-9]/,
  );
});
