// `serve --certificates managed` when the API server fails: it listens anyway (with a placeholder
// nobody trusts), /readyz says what it waits for and why, /healthz stays 200, and the process
// keeps running through 500s and an API server that never answers (recovery is in
// managed-certificates.test.ts and test/e2e/certificates.test.ts). Without a cluster connection
// it refuses to start (exit 2).
import t from 'tap';
import { get } from 'node:https';
import { startApiWithKubeconfig } from '../harness/apiserver/kubeconfig.js';
import { eventually } from '../harness/eventually.js';
import { EPHEMERAL_LOOPBACK, killIfRunning, spawnServer } from '../harness/server-process.js';

/** GET over TLS without checking the certificate (the placeholder is trusted by nobody). */
function probe(port: number, path: string): Promise<{ status: number; body: string; san: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const cert = (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate?.();
        resolve({ status: res.statusCode ?? 0, body, san: cert?.subjectAltName ?? '' });
      });
    });
    req.on('error', reject);
  });
}

const { api, kubeconfigPath } = await startApiWithKubeconfig(t);
const managed = [
  ...EPHEMERAL_LOOPBACK,
  ...['--certificates', 'managed', '--kubeconfig', kubeconfigPath, '--drain-delay', '0'],
  ...['--cert-validity', '20s', '--ca-validity', '60s'],
];

t.test('API errors and an API server that never answers: listening, unready, alive', async (t) => {
  api.faults.status = 500;
  const server = spawnServer(['dist/cli/main.js', 'serve', ...managed]);
  t.teardown(() => killIfRunning(server));
  const port = await server.port;
  const ready = await probe(port, '/readyz');
  t.equal(ready.status, 503);
  t.match(JSON.parse(ready.body).reasons, [
    /^certificate: waiting for the managed certificate: secret kube-hygiene\/kube-hygiene-managed-tls cannot be read: get secret kube-hygiene\/kube-hygiene-managed-tls failed: the API server answered 500/,
  ]);
  t.match(ready.san, 'kube-hygiene.invalid', 'the placeholder serves');
  t.equal((await probe(port, '/healthz')).status, 200, 'alive');
  t.ok(
    server.logs.some((l) => l.level === 'warn' && /answered 500/.test(l.msg)),
    'the failure is logged',
  );

  api.faults.status = undefined;
  api.faults.hang = true;
  // Calls have a 10 s deadline: wait for one to pass.
  await eventually(
    () => server.logs.some((l) => l.level === 'warn' && /no answer within 10000 ms/.test(l.msg)),
    25_000,
    'a deadline',
  );
  t.equal(server.child.exitCode, null, 'still running');
  t.equal((await probe(port, '/healthz')).status, 200);
  t.equal((await probe(port, '/readyz')).status, 503);
  api.faults.hang = false;
  t.equal(
    server.logs.filter((l) => l.level === 'fatal' || l.level === 'error').length,
    0,
    'nothing worse than a warning',
  );
});

t.test('no cluster connection: refused at start with the reason', async (t) => {
  const server = spawnServer(
    ['dist/cli/main.js', 'serve', ...EPHEMERAL_LOOPBACK, '--certificates', 'managed'],
    {
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: '',
    },
  );
  t.equal(await server.exited, 2);
  t.match(server.stderr, /--certificates managed keeps its certificates in the cluster, and there is none/);
});
