// Large reviews over real TLS: thousands of violating containers, and 7 MiB of small annotation
// keys. Each is answered within the API server's limits, every patch applies to the object
// sent, and a small review sent while a large one is being read and judged is answered first.
import t from 'tap';
import jsonPatch from 'fast-json-patch';
import { request as httpsRequest } from 'node:https';
import { startTestServer, type TestServer } from '../harness/server.js';
import type { HttpsResponse } from '../harness/tls.js';
import { largeReview, manyKeysReview } from '../fixtures/large-objects.js';

interface Answer {
  uid: string;
  allowed: boolean;
  status?: { message: string };
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  patch?: string;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Sends `body`; `sent` resolves once the whole body is handed to the socket. */
function post(server: TestServer, path: string, body: string) {
  let sent!: () => void;
  const whenSent = new Promise<void>((resolve) => (sent = resolve));
  const answered = new Promise<HttpsResponse>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: server.port,
        path,
        method: 'POST',
        ca: server.ca,
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.on('finish', sent);
    req.end(body);
  });
  return { sent: whenSent, answered };
}

function applyPatch(response: Answer, sent: string) {
  const ops = JSON.parse(Buffer.from(response.patch!, 'base64').toString('utf8')) as jsonPatch.Operation[];
  const object = (JSON.parse(sent) as { request: { object: unknown } }).request.object;
  return { ops, patched: jsonPatch.applyPatch(object, ops, true).newDocument as Record<string, unknown> };
}

const server = await startTestServer();
t.teardown(() => server.stop());
const small = JSON.stringify(largeReview('Pod', 1, 'small'));

t.test('5,000 violating containers: answers of a few KiB, "and N more", a patch left out', async (t) => {
  for (const [kind, endpoint] of [
    ['Deployment', 'validate'],
    ['Pod', 'validate'],
    ['Deployment', 'mutate'],
    ['Pod', 'mutate'],
  ] as const) {
    const res = await server.post(`/${endpoint}?timeout=10s`, largeReview(kind, 5_000, 'big'));
    t.equal(res.status, 200);
    const response = res.json<{ response: Answer }>().response;
    t.ok(bytes(res.text) < 24 * 1024, `${kind} on /${endpoint}: ${bytes(res.text)} bytes`);
    t.equal(response.uid, 'big');
    if (endpoint === 'validate') {
      t.ok(bytes(response.status!.message) <= 4096);
      t.match(response.status!.message, /\n- … and \d+ more violations: run kube-hygiene check/);
    }
    for (const w of response.warnings ?? []) t.ok(bytes(w) <= 256);
    for (const v of Object.values(response.auditAnnotations ?? {})) t.ok(bytes(v) <= 8192);
    if (kind === 'Pod' && endpoint === 'mutate') {
      t.notOk(response.patch, 'no patch over the limit');
      t.match(response.warnings, [/^\[pod-identity-env\] not applied: the patch would be/]);
    }
  }
});

t.test(
  '7 MiB of small annotation keys: answered, its patch applies, a small review goes first',
  async (t) => {
    for (const endpoint of ['validate', 'mutate'] as const) {
      const body = manyKeysReview(7, 'many');
      t.ok(bytes(body) <= 7 * 1024 * 1024, `${(bytes(body) / 1048576).toFixed(2)} MiB`);
      let bigAnswered = false;
      const big = post(server, `/${endpoint}?timeout=10s`, body);
      void big.answered.then(() => (bigAnswered = true));
      await big.sent;
      const first = await server.post('/validate?timeout=10s', small);
      t.equal(first.status, 200);
      t.notOk(
        bigAnswered,
        `/${endpoint}: the small review was answered while the large one was read and judged`,
      );
      const res = await big.answered;
      t.equal(res.status, 200);
      const response = res.json<{ response: Answer }>().response;
      t.equal(response.uid, 'many');
      t.equal(response.allowed, true);
      if (endpoint === 'mutate') {
        const { ops, patched } = applyPatch(response, body);
        t.same(
          ops.map((op) => op.path),
          ['/spec/containers/1/env'],
          'the sidecar gets its variables; the annotations are not touched',
        );
        const annotations = (patched.metadata as { annotations: Record<string, string> }).annotations;
        t.equal(annotations.k500000, 'v');
      }
    }
  },
);

t.test('a body that cannot be read before its deadline is refused, not answered late', async (t) => {
  const res = await server.post('/validate?timeout=1ms', manyKeysReview(1, 'late'));
  t.equal(res.status, 413);
  const { error } = res.json<{ error: { code: string; message: string } }>();
  t.equal(error.code, 'KH_REVIEW_TOO_COSTLY');
  t.match(error.message, /refused rather than answered late.*raise timeoutSeconds/);
  t.equal((await server.post('/validate?timeout=10s', small)).status, 200, 'and the server goes on');
});
