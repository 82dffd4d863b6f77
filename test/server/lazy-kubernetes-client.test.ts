// @kubernetes/client-node alone adds about 77 MB to a process's resident size: it is loaded only
// when a cluster connection is configured, never by `check`, `review`, `test` or a `serve`
// without a cluster. node-forge (about 3 MB) only when a certificate is made, never by a `serve`
// given its certificate in files. Each command runs as a real process that logs every module it
// resolves.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, tempDir, testPki } from '../harness/tls.js';
import { EPHEMERAL_LOOPBACK, REPO, killIfRunning, spawnServer } from '../harness/server-process.js';

const CLI = join(REPO, 'dist/cli/main.js');
if (!existsSync(CLI)) throw new Error('run `npm run build` first: this test runs dist/cli/main.js');
const MODULE_LOG = join(REPO, 'test/harness/module-log.mjs');
const CLIENT = '@kubernetes/client-node';

// No cluster unless a test names one: the developer's own KUBECONFIG must not decide.
const env = () => {
  const { KUBECONFIG: _kubeconfig, KUBERNETES_SERVICE_HOST: _host, ...rest } = process.env;
  return { ...rest, KUBE_HYGIENE_MODULE_LOG: join(tempDir(), 'modules.txt') };
};
const loaded = (log: string) =>
  existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];

/** Runs a CLI command (its exit code is not the point) and returns the modules it resolved. */
function modulesOf(args: readonly string[]): string[] {
  const childEnv = env();
  try {
    execFileSync(process.execPath, ['--import', MODULE_LOG, CLI, ...args], { env: childEnv, stdio: 'pipe' });
  } catch (err) {
    if ((err as { status?: number }).status === undefined) throw err;
  }
  return loaded(childEnv.KUBE_HYGIENE_MODULE_LOG);
}

t.test('check, review and test never load the Kubernetes client', async (t) => {
  for (const args of [
    ['check', join(REPO, 'examples')],
    ['review', join(REPO, 'examples/reviews/pod-create.json')],
    ['test', join(REPO, 'policies/tests')],
  ]) {
    const modules = modulesOf(args);
    t.ok(modules.includes('ajv'), `${args[0]}: the module log saw the command's own imports`);
    t.notOk(
      modules.some((m) => m.startsWith(CLIENT)),
      `${args[0]}: ${CLIENT} not loaded`,
    );
  }
});

async function serve(t: Test, extra: readonly string[]): Promise<string[]> {
  const dir = tempDir();
  const leaf = testPki().issue();
  writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
  writeFileSync(join(dir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
  const childEnv = env();
  const server = spawnServer(
    [
      ...['--import', MODULE_LOG, CLI, 'serve', ...EPHEMERAL_LOOPBACK],
      ...['--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key'), ...extra],
    ],
    childEnv,
  );
  t.teardown(() => killIfRunning(server));
  const port = await server.port;
  const body = readFileSync(join(REPO, 'examples/reviews/pod-create.json'));
  for (const path of ['/validate?timeout=10s', '/mutate?timeout=10s']) {
    const answer = await request({ port, ca: testPki().ca.certPem, path, body });
    t.equal(answer.status, 200, `${path} answered`);
  }
  process.kill(server.child.pid!, 'SIGTERM');
  await server.exited;
  return loaded(childEnv.KUBE_HYGIENE_MODULE_LOG);
}

t.test('serve without a cluster never loads the Kubernetes client', async (t) => {
  const modules = await serve(t, ['--drain-delay', '0']);
  t.ok(modules.includes('fastify'), "the module log saw the server's own imports");
  t.notOk(
    modules.some((m) => m.startsWith(CLIENT)),
    `${CLIENT} not loaded`,
  );
  t.notOk(modules.includes('node-forge'), 'node-forge not loaded: the certificate comes from files');
});

t.test('serve with a kubeconfig loads it (the module log would show it)', async (t) => {
  // A cluster on a loopback port nothing listens on: the server starts without waiting for it.
  const kubeconfig = join(tempDir(), 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]',
      'users: [{ name: u, user: { token: t } }]',
      'contexts: [{ name: x, context: { cluster: c, user: u } }]',
      'current-context: x',
    ].join('\n'),
  );
  const modules = await serve(t, ['--kubeconfig', kubeconfig, '--drain-delay', '0']);
  t.ok(
    modules.some((m) => m.startsWith(CLIENT)),
    `${CLIENT} loaded`,
  );
});
