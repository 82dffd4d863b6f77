// The same hostile reviews as engine.fuzz.test.ts, sent over real TLS to the running server:
// never a 5xx, every 200 a valid v1 AdmissionReview for the request's uid, every patch applies
// to the object the server judged, warnings within the API server's limits, and the server is
// still healthy afterwards. CI runs a fixed seed; `npm run fuzz` runs 100,000 cases.
import t from 'tap';
import fc from 'fast-check';
import jsonPatch from 'fast-json-patch';
import { Agent } from 'node:https';
import { hostileReview } from './mutate-review.js';
import { startTestServer } from '../harness/server.js';
import { request } from '../harness/tls.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
// Larger than any mutated recorded review: the large cases of the corpus.
const LARGE = 256 * 1024;

/** Why a 200 answer is not what the API server accepts, or undefined when it is. */
function problemWith(answer: string, sent: unknown, endpoint: string): string | undefined {
  const out = JSON.parse(answer) as {
    apiVersion?: string;
    kind?: string;
    response?: Record<string, unknown> & { status?: { code?: number; message?: string } };
  };
  const r = out.response;
  const uid = (sent as { request: { uid: unknown } }).request.uid;
  if (out.apiVersion !== 'admission.k8s.io/v1' || out.kind !== 'AdmissionReview') return 'not a v1 review';
  if (!r || r.uid !== uid) return `uid ${String(r?.uid)} is not the request's ${String(uid)}`;
  if (typeof r.allowed !== 'boolean') return 'allowed is not a boolean';
  if (!r.allowed && (r.status?.code !== 403 || !r.status.message)) return 'a denial without a 403 status';
  const warnings = (r.warnings ?? []) as string[];
  // eslint-disable-next-line no-control-regex -- control characters are what is checked for
  if (warnings.some((w) => bytes(w) > 256 || /[\u0000-\u001f\u007f-\u009f]/.test(w))) return 'a warning';
  if (warnings.reduce((n, w) => n + bytes(w), 0) > 4096) return 'warnings over 4 KiB';
  if (r.status?.message && bytes(r.status.message) > 4096) return 'a denial message over 4 KiB';
  const annotations = (r.auditAnnotations ?? {}) as Record<string, string>;
  if (Object.values(annotations).some((v) => bytes(v) > 8192)) return 'an annotation value over 8 KiB';
  if (r.patch !== undefined) {
    if (endpoint === 'validate') return 'a patch from /validate';
    const text = Buffer.from(r.patch as string, 'base64').toString('utf8');
    if (bytes(text) > 1024 * 1024) return 'a patch over 1 MiB';
    const ops = JSON.parse(text);
    const object = structuredClone((sent as { request: { object: unknown } }).request.object);
    try {
      jsonPatch.applyPatch(object, ops, true);
    } catch (err) {
      return `the patch does not apply: ${(err as Error).message}`;
    }
  }
  return undefined;
}

t.test(`hostile reviews over TLS (${RUNS} cases, seed ${SEED})`, async (t) => {
  // Enforce denies the fixtures outright; audit lets them through, so their patches get checked.
  const servers = [await startTestServer(), await startTestServer({ policy: 'mode: audit\n' })];
  t.teardown(() => Promise.all(servers.map((s) => s.stop())));
  const agents = servers.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  t.teardown(() => agents.forEach((a) => a.destroy()));
  const statuses = new Map<number, number>();
  let patches = 0;
  let large = 0;

  await fc.assert(
    fc.asyncProperty(
      hostileReview,
      fc.constantFrom('validate', 'mutate'),
      fc.nat(1),
      async (text, endpoint, s) => {
        if (text.length > LARGE) large++;
        const server = servers[s]!;
        const res = await request({
          port: server.port,
          ca: server.ca,
          path: `/${endpoint}?timeout=10s`,
          body: text,
          agent: agents[s],
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) {
          const problem = problemWith(res.text, JSON.parse(text), endpoint);
          if (problem) throw new Error(`${problem}\nanswer: ${res.text.slice(0, 500)}`);
          if (res.text.includes('"patch"')) patches++;
          return true;
        }
        // Everything else is the caller's mistake, said in JSON with a code.
        const error = (JSON.parse(res.text) as { error?: { code?: string; message?: string } }).error;
        return res.status >= 400 && res.status < 500 && Boolean(error?.code && error.message);
      },
    ),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );

  t.ok((statuses.get(200) ?? 0) > RUNS / 10, `answered: ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.ok(patches > 0, `${patches} patches applied cleanly`);
  t.ok(large > 0, `${large} large reviews (thousands of containers, megabytes of keys)`);
  t.notOk(
    [...statuses.keys()].some((s) => s >= 500),
    'no 5xx',
  );
  for (const server of servers) {
    t.equal((await server.get('/healthz')).status, 200, 'still alive');
    t.equal((await server.get('/readyz')).status, 200, 'still ready');
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
});
