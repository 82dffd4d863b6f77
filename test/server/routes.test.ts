// Every route of the real server over real TLS, answering the sample reviews in examples/.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { handleReview } from '../../src/admission/handle.js';
import { loadPolicyFile } from '../../src/policy/load.js';
import { Agent } from 'node:https';
import { connect } from 'node:tls';
import { KEEP_ALIVE_TIMEOUT_MS } from '../../src/server/build.js';
import { startTestServer } from '../harness/server.js';
import { request } from '../harness/tls.js';

const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../examples/reviews/${name}`, import.meta.url), 'utf8')) as {
    request: { uid: string };
  };

const server = await startTestServer();
t.teardown(() => server.stop());
const policy = loadPolicyFile();

t.test('GET /healthz answers while the process runs', async (t) => {
  const res = await server.get('/healthz');
  t.equal(res.status, 200);
  t.same(res.json(), { status: 'ok' });
});

t.test('GET /readyz is ready and names the active policy by hash', async (t) => {
  const res = await server.get('/readyz');
  t.equal(res.status, 200);
  const body = res.json<{
    ready: boolean;
    policy: { hash: string; mode: string };
    certificate: { notAfter: string };
  }>();
  t.equal(body.ready, true);
  t.equal(body.policy.hash, policy.hash);
  t.equal(body.policy.mode, 'enforce');
  t.ok(Date.parse(body.certificate.notAfter) > Date.now(), 'shows when the serving certificate expires');
});

for (const [name, endpoint, allowed] of [
  ['pod-create.json', 'validate', false],
  ['deployment-create.json', 'validate', false],
  ['deployment-create-allowed.json', 'validate', true],
  ['pod-create.json', 'mutate', true],
] as const) {
  t.test(`POST /${endpoint} ${name} gets the answer kube-hygiene review gives`, async (t) => {
    const review = example(name);
    const res = await server.post(`/${endpoint}?timeout=10s`, review);
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /^application\/json/);
    const body = res.json<{
      kind: string;
      response: { uid: string; allowed: boolean; status?: { code: number } };
    }>();
    t.equal(body.kind, 'AdmissionReview');
    t.equal(body.response.uid, review.request.uid, 'echoes the request uid');
    t.equal(body.response.allowed, allowed);
    if (!allowed) t.equal(body.response.status?.code, 403);
    const offline = await handleReview(example(name), endpoint, { policy });
    t.same(body, offline.body, 'same body as the engine called directly');
  });
}

t.test('one info log line per decision, with the request identity and never the object', async (t) => {
  const review = example('pod-create.json');
  const before = server.logs.length;
  await server.post('/validate', review);
  const lines = server.logs.slice(before).filter((l) => l.msg === 'admission decision');
  t.equal(lines.length, 1);
  const line = lines[0]!;
  t.match(line, {
    level: 'info',
    webhook: 'validate',
    uid: review.request.uid,
    kind: 'Pod',
    namespace: 'home',
    name: 'family-assistant',
    operation: 'CREATE',
    user: 'jane@example.com',
    dryRun: false,
    decision: 'denied',
    rules: ['image-registry', 'image-tag'],
  });
  t.type(line.ms, 'number');
  t.notOk('object' in line, 'the object is not logged at info');
  t.notMatch(JSON.stringify(line), /phase2-mcp-logging-fix/, 'no image names in the log line');
});

t.test('GET /metrics on the plain-HTTP port counts decisions and findings', async (t) => {
  await server.post('/validate', example('deployment-create-allowed.json'));
  const text = await server.metrics();
  t.match(
    text,
    /kube_hygiene_admission_requests_total\{webhook="validate",kind="Pod",operation="CREATE",decision="denied"\} [1-9]/,
  );
  // Allowed, with resource-requests' warning: its container requests nothing.
  t.match(
    text,
    /kube_hygiene_admission_requests_total\{webhook="validate",kind="Deployment",operation="CREATE",decision="warned"\} [1-9]/,
  );
  t.match(text, /kube_hygiene_findings_total\{rule="image-tag",action="deny"\} [1-9]/);
  t.match(text, /kube_hygiene_admission_duration_seconds_count\{webhook="validate"\} [1-9]/);
  t.match(text, new RegExp(`kube_hygiene_policy_info\\{hash="${policy.hash}"\\} 1`));
  const expiry = Number(/^kube_hygiene_certificate_expiry_seconds (\S+)$/m.exec(text)?.[1]);
  t.ok(expiry > 364 * 86400 && expiry <= 366 * 86400, `certificate expiry in seconds (${expiry})`);
  t.match(text, /process_cpu_seconds_total/, 'default process metrics');
});

t.test('an object kind outside the known list is counted as "other"', async (t) => {
  const review = example('deployment-create-allowed.json') as { request: Record<string, unknown> };
  review.request.kind = { group: 'example.com', version: 'v1', kind: 'Widget-1234' };
  t.equal((await server.post('/validate', review)).status, 200);
  const text = await server.metrics();
  t.notMatch(text, /Widget-1234/);
  t.match(text, /kind="other"/);
});

t.test('TLS below 1.2 is refused', async (t) => {
  const error = await new Promise<Error | undefined>((resolve) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        ca: server.ca,
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
      },
      () => {
        socket.end();
        resolve(undefined);
      },
    );
    socket.on('error', resolve);
  });
  t.ok(error, `handshake failed: ${error?.message}`);
});

t.test('unknown routes get a JSON 404', async (t) => {
  const res = await server.get('/nope');
  t.equal(res.status, 404);
  t.match(res.json(), { statusCode: 404 });
});

t.test('idle connections outlive the API server client idle timeout (90 s), so it closes them', async (t) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const res = await request({ port: server.port, ca: server.ca, path: '/healthz', agent });
  t.equal(res.headers['keep-alive'], `timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
  t.ok(KEEP_ALIVE_TIMEOUT_MS > 90_000);
});

t.test('/readyz is 503 with the reason while a registered check fails', async (t) => {
  let warm = false;
  const cold = await startTestServer({
    readinessChecks: { 'cluster cache': () => (warm ? undefined : 'not synced yet') },
  });
  t.teardown(() => cold.stop());
  const before = await cold.get('/readyz');
  t.equal(before.status, 503);
  t.match(before.json(), { ready: false, reasons: ['cluster cache: not synced yet'] });
  t.equal((await cold.get('/healthz')).status, 200, 'alive all the same');
  warm = true;
  t.equal((await cold.get('/readyz')).status, 200);
});
