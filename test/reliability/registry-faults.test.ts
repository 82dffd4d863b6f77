// A misbehaving registry behind the real server, under load: for every fault the stand-in
// offers, 20 Pod reviews at a time on /mutate?timeout=2s are each answered 200 within that
// deadline, in the configured failure mode (allow: no patch and a warning saying why; deny:
// refused with a message saying why), and the registry sees one lookup's worth of requests,
// not one per review (single-flight, negative cache, back-off).
import t from 'tap';
import type { Resolver } from '../../src/images/registry/guarded-lookup.js';
import { startCanary } from '../harness/registry/canary.js';
import { startFaultServer } from '../harness/registry/fault-server.js';
import { startTestServer } from '../harness/server.js';
import { pod } from '../rules/registry-admit.js';
import { admitOverTls, admitUnderLoad } from './load.js';

const DEADLINE_MS = 2000;
const LOAD = { total: Number(process.env.FAULT_REVIEWS ?? 200), concurrency: 20 };
// The fewest requests one lookup may make (HEAD, GET, three redirects, a token), plus one.
const MAX_REQUESTS_PER_FAULT = 6;

const faults = await startFaultServer();
t.teardown(faults.close);
const canary = await startCanary();
t.teardown(canary.close);
// HTTPS, so that the address rule and not the plain-HTTP rule is what stops them.
faults.targets.redirect = `https://127.0.0.1:${canary.port}/v2/x/manifests/v1`;
faults.targets.realm = `https://127.0.0.1:${canary.port}/token`;
const port = faults.host.split(':')[1];

// Each fault on a host of its own (all on the stand-in's port): back-off rests one origin,
// and one fault's rest must not answer for the next.
const FAULTS: [fault: string, failure: string, why: RegExp][] = [
  ['slow-headers', 'timeout', /no answer within the lookup deadline/],
  ['slow-body', 'timeout', /no answer within the lookup deadline/],
  ['hang-token', 'timeout', /no answer within the lookup deadline/],
  ['status-500', 'unavailable', /answered 500; resting it/],
  ['status-502', 'unavailable', /answered 502; resting it/],
  ['status-503', 'unavailable', /answered 503; resting it/],
  ['rate-limited', 'unavailable', /answered 429; resting it for 7 s/],
  ['wrong-type', 'bad-response', /not an image manifest or index/],
  ['html', 'bad-response', /not valid JSON/],
  ['garbage', 'bad-response', /not valid JSON/],
  // The client asks for identity encoding and never inflates: the bomb stays 20 KiB of bytes.
  ['gzip-bomb', 'bad-response', /not valid JSON/],
  ['oversize', 'too-large', /over the 4194304-byte cap/],
  ['oversize-chunked', 'too-large', /over the 4194304-byte cap/],
  ['redirect-loop', 'too-many-redirects', /redirected more than 3 times/],
  [
    'redirect-blocked',
    'blocked-address',
    /refusing 127\.0\.0\.1: set registries\["127\.0\.0\.1:\d+"\]\.allowPrivateAddress: true/,
  ],
  [
    'realm-blocked',
    'blocked-address',
    /refusing 127\.0\.0\.1: set registries\["127\.0\.0\.1:\d+"\]\.allowPrivateAddress: true/,
  ],
];
const hostOf = (fault: string) => `${fault}.faults.test:${port}`;
const resolver: Resolver = async (name) => {
  if (name.endsWith('.faults.test')) return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`${name} is not a test name`), { code: 'ENOTFOUND' });
};
const registries = Object.fromEntries([
  ...FAULTS.map(([fault]) => [hostOf(fault), { insecure: true, allowPrivateAddress: true }]),
  // The stand-in's own address: where hang-token's realm points.
  [faults.host, { insecure: true, allowPrivateAddress: true }],
]);
const policyFor = (onLookupFailure: 'allow' | 'deny') =>
  JSON.stringify({
    registries,
    registryLookup: { timeoutMs: 800 },
    rules: {
      'image-tag': { action: 'off' },
      'pod-identity-env': { action: 'off' },
      'node-arch': { onLookupFailure },
    },
  });

const requestsTo = (fault: string) =>
  faults.requests.filter(
    (r) => r.url.startsWith(`/v2/${fault}/`) || (fault === 'hang-token' && r.url.startsWith('/hang-token')),
  ).length;

const figures: string[] = [];

for (const mode of ['allow', 'deny'] as const) {
  t.test(`onLookupFailure: ${mode}`, async (t) => {
    const server = await startTestServer({ policy: policyFor(mode), registryLookups: { resolver } });
    t.teardown(() => server.stop());
    for (const [fault, failure, why] of FAULTS) {
      const before = requestsTo(fault);
      const image = `${hostOf(fault)}/${fault}:v1.0.0`;
      const answers = await admitUnderLoad(
        server,
        `/mutate?timeout=${DEADLINE_MS / 1000}s`,
        () => pod([{ name: 'api', image }]),
        LOAD,
      );
      const reached = requestsTo(fault) - before;
      const slowest = Math.max(...answers.map((a) => a.ms));
      figures.push(`${mode} ${fault}: max ${slowest.toFixed(0)} ms, ${reached} registry requests`);
      const wrong = answers.filter((a) => {
        if (a.status !== 200 || a.ms >= DEADLINE_MS) return true;
        const { response } = a;
        const said = `(${failure}): `;
        if (mode === 'allow') {
          const warning = response.warnings?.find((w) => w.includes(said));
          return !response.allowed || response.patch !== undefined || !warning || !why.test(warning);
        }
        const message = response.status?.message ?? '';
        return response.allowed || !message.includes('onLookupFailure is deny') || !message.includes(said);
      });
      t.equal(answers.length, LOAD.total, `${fault}: every review answered`);
      t.same(
        wrong.slice(0, 1).map((a) => ({ status: a.status, ms: a.ms, response: a.response })),
        [],
        `${fault}: every answer within ${DEADLINE_MS} ms, ${mode === 'allow' ? 'allowed unpinned with a warning' : 'denied'} naming ${failure}`,
      );
      t.ok(
        reached >= 1 && reached <= MAX_REQUESTS_PER_FAULT,
        `${fault}: ${reached} requests reached the registry`,
      );
      if (fault === 'rate-limited') {
        // Another image on the rested host is not asked for either while Retry-After (7 s) runs.
        const rested = requestsTo(fault);
        const other = await admitOverTls(
          server,
          `/mutate?timeout=${DEADLINE_MS / 1000}s`,
          pod([{ name: 'api', image: `${hostOf(fault)}/${fault}:v2.0.0` }]),
        );
        t.match(
          JSON.stringify(other.response), // a warning (allow) or the denial's message (deny)
          /\(backing-off\): .*not asking it again for [1-7] s/,
          'the rest is kept',
        );
        t.equal(requestsTo(fault), rested, 'and the registry was not asked');
      }
    }
    const metrics = await server.metrics();
    t.notMatch(metrics, /registry_lookups_total\{result="ok"\} [1-9]/, 'no lookup succeeded');
  });
}

t.test('no redirect or token realm reached the blocked address', async (t) => {
  t.equal(canary.connections(), 0);
});

t.teardown(() => {
  // Figures for the reliability notes: the slowest answer and the registry's load per fault.
  for (const line of figures) t.comment(line);
});
