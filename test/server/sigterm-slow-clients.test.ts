// SIGTERM to the built server (default drain delay and grace) while clients trickle bodies under
// a 30 s ?timeout= and reviews wait on a registry that does not answer: the process exits 0 in
// under 10 s, every review in flight gets its answer, and the trickling clients are told the
// server is going. Before, the trickles held the exit for the whole grace period (23–26 s).
import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestFor } from '../../src/admission/object-request.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import { startFaultServer } from '../harness/registry/fault-server.js';
import { postHead, rawConnection } from '../harness/raw-client.js';
import { EPHEMERAL_LOOPBACK, REPO, killIfRunning, spawnServer } from '../harness/server-process.js';
import { request, tempDir, testPki } from '../harness/tls.js';
import { pod } from '../rules/registry-admit.js';

const MAIN = join(REPO, 'dist/main.js');
if (!existsSync(MAIN)) throw new Error('run `npm run build` first: this test starts dist/main.js');

const LOOKUP_MS = 2000; // how long each review in flight waits on the registry
const DRAIN_DELAY_MS = 3000; // the default --drain-delay

t.test('SIGTERM with trickling connections open: exit 0 in under 10 s, reviews answered', async (t) => {
  const faults = await startFaultServer();
  t.teardown(faults.close);
  const dir = tempDir();
  const leaf = testPki().issue();
  const files = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), policy: join(dir, 'policy.yaml') };
  writeFileSync(files.cert, leaf.certPem);
  writeFileSync(files.key, leaf.keyPem, { mode: 0o600 });
  writeFileSync(
    files.policy,
    JSON.stringify({
      registries: { [faults.host]: { insecure: true, allowPrivateAddress: true } },
      registryLookup: { timeoutMs: LOOKUP_MS },
      rules: { 'image-tag': { action: 'off' }, 'pod-identity-env': { action: 'off' } },
    }),
  );
  const server = spawnServer([
    MAIN,
    ...EPHEMERAL_LOOPBACK,
    ...['--cert', files.cert, '--key', files.key, '--policy', files.policy],
  ]);
  t.teardown(() => killIfRunning(server));
  const port = await server.port;
  const ca = testPki().ca.certPem;

  const trickled = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  const trickling = await Promise.all(Array.from({ length: 5 }, () => rawConnection(port, ca)));
  for (const c of trickling) {
    c.socket.write(postHead('/validate?timeout=30s', Buffer.byteLength(trickled) + 10_000));
    c.trickle(trickled, 2000);
  }
  const review = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: requestFor(pod([{ name: 'api', image: `${faults.host}/slow-headers:v1.0.0` }])),
  });

  const signalledAt = Date.now();
  process.kill(server.child.pid!, 'SIGTERM');
  // Sent during the drain delay, a second before the port closes; each waits LOOKUP_MS on the
  // registry, so all of them are still being decided when the server closes.
  await new Promise((r) => setTimeout(r, DRAIN_DELAY_MS - 1000));
  const inFlight = Array.from({ length: 4 }, () =>
    request({ port, ca, path: '/mutate?timeout=5s', body: review }).catch((err: Error) => err),
  );
  const code = await server.exited;
  const took = Date.now() - signalledAt;
  const answers = await Promise.all(inFlight);

  t.equal(code, 0, 'exit code 0');
  t.ok(took < 10_000, `exited ${took} ms after SIGTERM (drain delay 3 s, grace 20 s)`);
  for (const answer of answers) {
    const response = !(answer instanceof Error) && answer.json<AdmissionReviewResponse>().response;
    t.ok(response && response.allowed, 'a review in flight was answered');
    t.match(response && response.warnings?.join('\n'), /not pinned to an architecture: .*\(timeout\)/);
  }
  for (const c of trickling) {
    const { ms } = await c.closed;
    t.ok(ms < 10_000, `a trickling connection closed after ${ms} ms`);
    t.equal(c.responses()[0]?.json().error.code, 'KH_SHUTTING_DOWN', 'told the server is going');
  }
  t.match(
    server.logs.find((l) => l.msg.startsWith('closing connections')),
    { receiving: 5, answering: 4 },
    'the reviews were in flight when the port closed',
  );
  t.match(
    server.logs.find((l) => l.msg === 'stopped'),
    { clean: true },
  );
  t.comment(`SIGTERM to exit: ${took} ms with 5 trickling connections and 4 reviews in flight`);
});
