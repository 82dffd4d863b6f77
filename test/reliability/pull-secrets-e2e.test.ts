// Pull secrets end to end: the real server with a kubeconfig to the API stand-in and registry
// lookups on, a registry over TLS that wants Basic credentials for every image. A Pod is pinned
// when its imagePullSecrets, or its ServiceAccount's, hold the credentials; without them it is
// let through with a warning saying where credentials go; with registryLookup.pullSecrets:
// false no secret is read. No password shows in any answer or log line, debug included.
import t, { type Test } from 'tap';
import type { StoredObject } from '../harness/apiserver/store.js';
import { startApiWithKubeconfig } from '../harness/apiserver/kubeconfig.js';
import { AuthMode, BASIC_PASSWORD, BASIC_USER, startSeededRegistry } from '../harness/registry/registries.js';
import { startTestServer, type TestServer } from '../harness/server.js';
import { pod } from '../rules/registry-admit.js';
import { admitOverTls, type TimedAnswer } from './load.js';

const DEADLINE_MS = 3000;
const seeded = await startSeededRegistry(AuthMode.basic);
t.teardown(seeded.stop);
const host = seeded.registry.host;

const b64 = (text: string) => Buffer.from(text).toString('base64');
const SECRET_FORMS = [BASIC_PASSWORD, b64(`${BASIC_USER}:${BASIC_PASSWORD}`), b64(seeded.dockerConfig!)];
const objects: StoredObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'registry-cred', namespace: 'team' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': b64(seeded.dockerConfig!) },
  },
  {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'builder', namespace: 'team' },
    imagePullSecrets: [{ name: 'registry-cred' }],
  },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team' } },
];
const { api, kubeconfigPath } = await startApiWithKubeconfig(t, objects);

const policy = (pullSecrets: boolean) =>
  JSON.stringify({
    registries: seeded.settings,
    registryLookup: { pullSecrets },
    rules: { 'image-tag': { action: 'off' }, 'pod-identity-env': { action: 'off' } },
  });

async function serve(t: Test, pullSecrets: boolean): Promise<TestServer> {
  const server = await startTestServer({
    policy: policy(pullSecrets),
    args: ['--kubeconfig', kubeconfigPath],
    cluster: { deadlineMs: 500, retry: { firstMs: 50, maxMs: 200 } },
    registryLookups: true,
    logLevel: 'debug',
  });
  t.teardown(() => server.stop());
  return server;
}

const mutate = (server: TestServer, image: string, spec: Record<string, unknown> = {}) =>
  admitOverTls(server, `/mutate?timeout=${DEADLINE_MS / 1000}s`, pod([{ name: 'api', image }], spec));

const selectorOf = (answer: TimedAnswer) => (answer.patched.spec as { nodeSelector?: unknown }).nodeSelector;

function assertNoPassword(t: Test, server: TestServer, answers: TimedAnswer[]): void {
  const logs = server.logs.map((line) => JSON.stringify(line)).join('\n');
  const said = JSON.stringify(answers.map((a) => a.response));
  for (const form of SECRET_FORMS) {
    t.notOk(logs.includes(form), 'no credential in any log line');
    t.notOk(said.includes(form), 'no credential in any answer');
  }
}

t.test('credentials from the pod or its ServiceAccount: pinned; none: a warning saying where', async (t) => {
  const server = await serve(t, true);
  // Different images per case: an answer one pod's credentials earned is cached by digest.
  const anonymous = await mutate(server, `${host}/armv7:1.0.0`);
  t.equal(anonymous.status, 200);
  t.ok(anonymous.ms < DEADLINE_MS, 'answered within the deadline');
  t.equal(anonymous.response.allowed, true, 'let through');
  t.equal(anonymous.response.patch, undefined, 'not pinned');
  const warning = anonymous.response.warnings?.join('\n') ?? '';
  t.match(warning, /not pinned to an architecture: .*\(unauthorized\): .*refused access/);
  t.match(warning, /imagePullSecrets/, 'the warning says where credentials go');
  const annotation = anonymous.response.auditAnnotations?.['node-arch'] ?? '';
  t.match(annotation, /registryLookup\.pullSecrets is true\) or credentials to registryLookup\.dockerConfig/);

  const byPod = await mutate(server, `${host}/amd64only:v2.1.0`, {
    imagePullSecrets: [{ name: 'registry-cred' }],
  });
  t.ok(byPod.ms < DEADLINE_MS, 'answered within the deadline');
  t.same(selectorOf(byPod), { 'kubernetes.io/arch': 'amd64' }, "the pod's imagePullSecrets pin it");
  t.same(byPod.response.warnings, undefined);

  const bySa = await mutate(server, `${host}/arm64only:1.0.0`, { serviceAccountName: 'builder' });
  t.ok(bySa.ms < DEADLINE_MS, 'answered within the deadline');
  t.same(selectorOf(bySa), { 'kubernetes.io/arch': 'arm64' }, "the ServiceAccount's imagePullSecrets pin it");

  t.ok(
    api.requests.some((r) => r.startsWith('GET /api/v1/namespaces/team/secrets/registry-cred')),
    'the secret was read through the API',
  );
  t.ok(
    api.requests.some((r) => r.startsWith('GET /api/v1/namespaces/team/serviceaccounts/builder')),
    'the ServiceAccount was read through the API',
  );
  assertNoPassword(t, server, [anonymous, byPod, bySa]);
});

t.test('registryLookup.pullSecrets: false reads no secret', async (t) => {
  const before = api.requests.length;
  const server = await serve(t, false);
  const answer = await mutate(server, `${host}/dockerlist:1.0`, {
    imagePullSecrets: [{ name: 'registry-cred' }],
    serviceAccountName: 'builder',
  });
  t.equal(answer.response.allowed, true);
  t.equal(answer.response.patch, undefined, 'not pinned: the registry saw no credentials');
  t.match(answer.response.warnings?.join('\n'), /\(unauthorized\)/);
  const reads = api.requests
    .slice(before)
    .filter((r) => /^GET \/api\/v1\/namespaces\/[^/]+\/(secrets|serviceaccounts)\//.test(r));
  t.same(reads, [], 'no Secret or ServiceAccount was read');
  assertNoPassword(t, server, [answer]);
});
