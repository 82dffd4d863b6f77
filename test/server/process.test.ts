// The built server as a real process: `kube-hygiene serve` answering what `kube-hygiene review`
// answers, SIGTERM under load with no failed request, configuration mistakes refused at start,
// and `npm start`'s development certificate made once and reused.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { request, tempDir, testPki } from '../harness/tls.js';
import { EPHEMERAL_LOOPBACK, REPO, killIfRunning, spawnServer } from '../harness/server-process.js';
import { eventually } from '../harness/eventually.js';

const CLI = join(REPO, 'dist/cli/main.js');
const MAIN = join(REPO, 'dist/main.js');
if (!existsSync(CLI) || !existsSync(MAIN))
  throw new Error('run `npm run build` first: this test starts dist/main.js');

const podCreate = join(REPO, 'examples/reviews/pod-create.json');

function certificateFiles() {
  const dir = tempDir();
  const leaf = testPki().issue();
  writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
  writeFileSync(join(dir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
  return { dir, cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
}

t.test('kube-hygiene serve: same answer as review; SIGTERM under load fails no request', async (t) => {
  const { cert, key } = certificateFiles();
  const server = spawnServer([CLI, 'serve', ...EPHEMERAL_LOOPBACK, '--cert', cert, '--key', key], {
    KUBE_HYGIENE_DRAIN_DELAY: '1',
    KUBE_HYGIENE_SHUTDOWN_GRACE: '5',
  });
  t.teardown(() => killIfRunning(server));
  const port = await server.port;
  const ca = testPki().ca.certPem;

  const served = await request({ port, ca, path: '/validate?timeout=10s', body: readFileSync(podCreate) });
  let offline = '';
  try {
    execFileSync(process.execPath, [CLI, 'review', podCreate], { encoding: 'utf8' });
  } catch (err) {
    offline = (err as { stdout: string }).stdout; // exit 1: denied
  }
  t.same(served.json(), JSON.parse(offline), 'curl to the server and kube-hygiene review agree');

  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  t.teardown(() => agent.destroy());
  const body = readFileSync(podCreate, 'utf8');
  const tally = { ok: 0, failed: [] as string[] };
  let sending = true;
  // Stands in for the endpoints controller: traffic stops once /readyz says 503.
  const watcher = (async () => {
    while (sending) {
      const res = await request({ port, ca, path: '/readyz' }).catch(() => ({ status: 0 }));
      if (res.status === 503) sending = false;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const worker = async () => {
    while (sending) {
      try {
        const res = await request({ port, ca, path: '/validate?timeout=5s', body, agent });
        if (res.status === 200 && res.json<{ response: { allowed: boolean } }>().response.allowed === false)
          tally.ok++;
        else tally.failed.push(`HTTP ${res.status}`);
      } catch (err) {
        tally.failed.push((err as Error).message);
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await new Promise((r) => setTimeout(r, 500));
  const okBeforeSignal = tally.ok;
  const signalledAt = Date.now();
  process.kill(server.child.pid!, 'SIGTERM');
  await Promise.all([...workers, watcher]);
  const code = await server.exited;
  const took = Date.now() - signalledAt;

  t.ok(okBeforeSignal > 0, `load was flowing when SIGTERM arrived (${okBeforeSignal} answered)`);
  t.same(tally.failed, [], `no request failed (${tally.ok} answered in all)`);
  t.equal(code, 0, 'exit code 0');
  t.ok(took < 1000 + 5000, `exited in ${took} ms, inside drain delay + grace period`);
  t.match(
    server.logs.find((l) => l.msg === 'stopped'),
    { clean: true },
  );
  const order = ['signal received', 'shutting down: /readyz now 503', 'stopped'].map((m) =>
    server.logs.findIndex((l) => l.msg === m),
  );
  t.ok(
    order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1]!)),
    'unready first, then stopped',
  );
});

t.test('configuration mistakes stop the start with exit 2 and say what to fix', async (t) => {
  const noCert = spawnServer([CLI, 'serve', '--port', '70000']);
  t.equal(await noCert.exited, 2);
  t.match(noCert.stderr, /--port \(KUBE_HYGIENE_PORT\).*65535/);
  t.match(noCert.stderr, /--cert and --key/);

  const { cert, key, dir } = certificateFiles();
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'mode: sometimes\nrules:\n  image-tag:\n    action: maybe\n');
  const badPolicy = spawnServer([
    MAIN,
    ...EPHEMERAL_LOOPBACK,
    '--cert',
    cert,
    '--key',
    key,
    '--policy',
    policy,
  ]);
  t.equal(await badPolicy.exited, 2);
  t.match(badPolicy.stderr, /policy\.yaml:1:7: mode/);
  t.match(badPolicy.stderr, /policy\.yaml:4:13: rules\.image-tag\.action/);
});

t.test('npm start (--dev): a development CA and certificate, made once and reused', async (t) => {
  const certs = join(tempDir(), 'dev-certs');
  const args = [MAIN, '--dev', '--port', '0', '--metrics-port', '0', '--dev-certs-dir', certs];
  const first = spawnServer(args);
  t.teardown(() => killIfRunning(first));
  const port = await first.port;
  const ca = readFileSync(join(certs, 'ca.crt'), 'utf8');
  // stdout (the listening line) and stderr (the help) are separate pipes: either may arrive first.
  await eventually(() => first.stderr.includes('kube-hygiene check'), 5000, 'the try-it text').catch(
    () => {},
  );
  t.match(
    first.stderr,
    /curl -s --cacert .*ca\.crt .*--data @examples\/reviews\/pod-create\.json/,
    'prints how to try it',
  );
  t.match(first.stderr, /kube-hygiene check examples\/manifests\//);
  const res = await request({ port, ca, path: '/validate', body: readFileSync(podCreate) });
  t.equal(res.status, 200, 'serves over TLS with the generated CA');
  t.match(
    first.logs.find((l) => l.msg === 'development certificate in use'),
    { generated: true },
  );
  process.kill(first.child.pid!, 'SIGINT');
  t.equal(await first.exited, 0);

  const second = spawnServer(args);
  t.teardown(() => killIfRunning(second));
  await second.port;
  t.match(
    second.logs.find((l) => l.msg === 'development certificate in use'),
    { generated: false },
    'reused',
  );
  t.equal(readFileSync(join(certs, 'ca.crt'), 'utf8'), ca, 'same CA, so a pinned curl keeps working');
  process.kill(second.child.pid!, 'SIGTERM');
  t.equal(await second.exited, 0);
});
