// Pull-secret credentials read through the real client from the API stand-in: the pod's
// imagePullSecrets and its ServiceAccount's, both secret formats, the failures a cluster gives
// (missing, 403, wrong type, garbage, a slow server), caching, the policy switch, and that no
// credential ever shows up in a log-able form.
import t from 'tap';
import { inspect } from 'node:util';
import type { V1PodSpec } from '@kubernetes/client-node';
import { startApiServer } from '../harness/apiserver/server.js';
import type { StoredObject } from '../harness/apiserver/store.js';
import { createPullSecretReader } from '../../src/cluster/pull-secrets.js';
import { kubeConfigFor } from './fixtures.js';
import { writeKubeconfig } from '../harness/apiserver/kubeconfig.js';
import { openCluster } from '../../src/policy/open-cluster.js';
import { loadPolicyFile, parsePolicy } from '../../src/policy/load.js';
import { LookupBudget } from '../../src/images/lookup-budget.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const auth = (user: string, password: string) => b64(`${user}:${password}`);

function secret(name: string, type: string, data: Record<string, string>): StoredObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'homelab' }, type, data };
}
const dockerConfigJson = (name: string, host: string, user: string, password: string) =>
  secret(name, 'kubernetes.io/dockerconfigjson', {
    '.dockerconfigjson': b64(JSON.stringify({ auths: { [host]: { auth: auth(user, password) } } })),
  });
const serviceAccount = (name: string, secrets: string[]): StoredObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: 'homelab' },
  imagePullSecrets: secrets.map((s) => ({ name: s })),
});

const api = await startApiServer();
t.teardown(() => api.close());
for (const object of [
  dockerConfigJson('ghcr-cred', 'ghcr.io', 'pesuga', 'ghcr-s3cret'),
  // The legacy format: the auths map itself, keyed by URL.
  secret('lan-cred', 'kubernetes.io/dockercfg', {
    '.dockercfg': b64(
      JSON.stringify({ 'http://100.81.76.55:30500': { username: 'ci', password: 'lan-s3cret' } }),
    ),
  }),
  dockerConfigJson('hub-cred', 'https://index.docker.io/v1/', 'homelab', 'hub-s3cret'),
  dockerConfigJson('other-ghcr', 'ghcr.io', 'someone-else', 'other-s3cret'),
  secret('opaque', 'Opaque', { token: b64('not a registry') }),
  secret('garbage', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64('{not json') }),
  serviceAccount('builder', ['lan-cred', 'other-ghcr']),
  serviceAccount('default', ['hub-cred']),
]) {
  api.store.put(object);
}
const PASSWORDS = ['ghcr-s3cret', 'lan-s3cret', 'hub-s3cret', 'other-s3cret'];

const spec = (extra: Partial<V1PodSpec>): V1PodSpec => ({
  containers: [{ name: 'app', image: 'x' }],
  ...extra,
});
const deadline = () => new LookupBudget(5000);
const users = (store: ReadonlyMap<string, { username: string }>) =>
  Object.fromEntries([...store].map(([host, c]) => [host, c.username]));

t.test("the pod's secrets, then its ServiceAccount's; the pod's win for the same registry", async (t) => {
  const reader = createPullSecretReader(kubeConfigFor(api));
  const { store, problems } = await reader.lookup(
    'homelab',
    spec({ imagePullSecrets: [{ name: 'ghcr-cred' }], serviceAccountName: 'builder' }),
    deadline(),
  );
  t.same(problems, []);
  t.same(users(store), { 'ghcr.io': 'pesuga', '100.81.76.55:30500': 'ci' });
  t.equal(store.get('100.81.76.55:30500')?.password, 'lan-s3cret', 'dockercfg is read');
  const seam = await reader.pullCredentials('homelab', spec({}), deadline());
  t.same(
    users(seam),
    { 'docker.io': 'homelab' },
    'no ServiceAccount named: default, Docker Hub key normalised',
  );
});

t.test('credentials never show in JSON, inspect or the reasons', async (t) => {
  const reader = createPullSecretReader(kubeConfigFor(api));
  const { store, problems } = await reader.lookup(
    'homelab',
    spec({ imagePullSecrets: [{ name: 'ghcr-cred' }, { name: 'opaque' }], serviceAccountName: 'builder' }),
    deadline(),
  );
  const shown = [JSON.stringify([...store]), inspect(store, { depth: 5 }), ...problems].join('\n');
  for (const password of PASSWORDS) t.notOk(shown.includes(password), `${password} is hidden`);
  t.match(shown, /<redacted>/);
});

t.test('each failure is a reason, and the other secrets still count', async (t) => {
  const heard: string[] = [];
  const reader = createPullSecretReader(kubeConfigFor(api), { onProblem: (p) => heard.push(p) });
  const { store, problems } = await reader.lookup(
    'homelab',
    spec({
      imagePullSecrets: [{ name: 'ghcr-cred' }, { name: 'gone' }, { name: 'opaque' }, { name: 'garbage' }],
      serviceAccountName: 'nobody',
    }),
    deadline(),
  );
  t.same(users(store), { 'ghcr.io': 'pesuga' });
  t.match(problems, [
    /^ServiceAccount homelab\/nobody does not exist/,
    /^secret homelab\/gone does not exist: registry lookups for this pod go without its credentials$/,
    /^secret homelab\/opaque is of type Opaque, not kubernetes\.io\/dockerconfigjson$/,
    /^secret homelab\/garbage: \.dockerconfigjson is not a docker config/,
  ]);
  t.same(heard, problems, 'each reason is told once');
});

t.test('403 from RBAC: an empty store and what to grant', async (t) => {
  api.faults.forbidden.push(/\/secrets\//, /\/serviceaccounts\//);
  t.teardown(() => void api.faults.forbidden.splice(0));
  const reader = createPullSecretReader(kubeConfigFor(api));
  const { store, problems } = await reader.lookup(
    'homelab',
    spec({ imagePullSecrets: [{ name: 'ghcr-cred' }] }),
    deadline(),
  );
  t.equal(store.size, 0);
  t.same(problems, [
    'ServiceAccount homelab/default cannot be read (403): grant get on serviceaccounts to kube-hygiene (deploy/components/pull-secrets) or set registryLookup.pullSecrets: false',
    'secret homelab/ghcr-cred cannot be read (403): grant get on secrets to kube-hygiene (deploy/components/pull-secrets) or set registryLookup.pullSecrets: false',
  ]);
});

t.test('bounded by the deadline: a slow API server costs the deadline, not more', async (t) => {
  api.faults.latencyMs = 2000;
  t.teardown(() => void (api.faults.latencyMs = 0));
  const reader = createPullSecretReader(kubeConfigFor(api));
  const started = Date.now();
  const { store, problems } = await reader.lookup(
    'homelab',
    spec({ imagePullSecrets: [{ name: 'ghcr-cred' }] }),
    new LookupBudget(200),
  );
  const took = Date.now() - started;
  t.ok(took < 1000, `answered in ${took} ms`);
  t.equal(store.size, 0);
  t.match(problems, [/ServiceAccount homelab\/default was cut short by the deadline/]);
});

t.test('cached: reads are reused for the TTL; parsed credentials by resourceVersion', async (t) => {
  const count = () => api.requests.filter((r) => /\/(secrets|serviceaccounts)\//.test(r)).length;
  const cached = createPullSecretReader(kubeConfigFor(api));
  const pod = spec({ imagePullSecrets: [{ name: 'ghcr-cred' }] });
  await cached.lookup('homelab', pod, deadline());
  const before = count();
  await cached.lookup('homelab', pod, deadline());
  t.equal(count(), before, 'no request within the TTL');

  const uncached = createPullSecretReader(kubeConfigFor(api), { ttlMs: 0 });
  const first = await uncached.pullCredentials('homelab', pod, deadline());
  const again = await uncached.pullCredentials('homelab', pod, deadline());
  t.ok(count() > before, 'read again once the TTL is over');
  t.equal(
    again.get('ghcr.io'),
    first.get('ghcr.io'),
    'same resourceVersion: the parsed credential is reused',
  );
  api.store.put(dockerConfigJson('ghcr-cred', 'ghcr.io', 'pesuga', 'rotated-s3cret'));
  const rotated = await uncached.pullCredentials('homelab', pod, deadline());
  t.equal(rotated.get('ghcr.io')?.password, 'rotated-s3cret', 'a new resourceVersion is parsed again');
  api.store.put(dockerConfigJson('ghcr-cred', 'ghcr.io', 'pesuga', 'ghcr-s3cret'));
});

t.test('the policy switch off: no secret is read', async (t) => {
  let enabled = false;
  const reader = createPullSecretReader(kubeConfigFor(api), { enabled: () => enabled, ttlMs: 0 });
  const from = api.requests.length;
  const off = await reader.lookup('homelab', spec({ imagePullSecrets: [{ name: 'ghcr-cred' }] }), deadline());
  t.same(off, { store: new Map(), problems: [] });
  t.equal(api.requests.length, from, 'no request');
  enabled = true;
  const on = await reader.pullCredentials(
    'homelab',
    spec({ imagePullSecrets: [{ name: 'ghcr-cred' }] }),
    deadline(),
  );
  t.equal(
    on.size,
    2,
    "switched on again without a restart (ghcr.io and the default ServiceAccount's docker.io)",
  );
});

t.test('openCluster follows registryLookup.pullSecrets of the policy (off by default)', async (t) => {
  const file = writeKubeconfig(api);
  const source = { kind: 'kubeconfig', path: file.path } as const;
  const byDefault = openCluster(source, loadPolicyFile());
  const on = openCluster(source, parsePolicy('registryLookup:\n  pullSecrets: true\n', 'on.yaml'));
  t.teardown(async () => {
    await Promise.all([byDefault.view?.stop(), on.view?.stop()]);
    file.remove();
  });
  const pod = spec({ imagePullSecrets: [{ name: 'ghcr-cred' }] });
  t.equal((await on.pullSecrets?.pullCredentials('homelab', pod, deadline()))?.size, 2);
  t.equal((await byDefault.pullSecrets?.pullCredentials('homelab', pod, deadline()))?.size, 0);
  t.equal(openCluster({ kind: 'none', reason: 'test' }, loadPolicyFile()).pullSecrets, undefined);
});
