// The pull-credentials seam: a pod's own credentials (a plain function here, the cluster's
// pull secrets in the server) are used for its registry's host before the server's mounted
// ones, against a real HTTPS registry with htpasswd Basic auth. One requester's refusal is
// never served to another who holds credentials, and no password reaches a message.
import t from 'tap';
import type { V1PodSpec } from '@kubernetes/client-node';
import { parsePolicy } from '../../src/policy/load.js';
import { RegistryClient } from '../../src/images/registry/client.js';
import { RegistryLookups, type LookupResult } from '../../src/images/image-lookup.js';
import { parseDockerConfig } from '../../src/images/registry/credentials.js';
import { AuthMode, BASIC_PASSWORD, BASIC_USER, startSeededRegistry } from '../harness/registry/registries.js';
import { admit, pod } from '../rules/registry-admit.js';

const seeded = await startSeededRegistry(AuthMode.basic);
t.teardown(seeded.stop);
const host = seeded.registry.host;
const AMD64 = `${host}/amd64only:v2.1.0`;
const MULTI = `${host}/multi:v1.0.0`;
const policy = parsePolicy(
  'rules: { image-tag: { action: off }, pod-identity-env: { action: off }, image-exists: { action: warn } }',
  'test.yaml',
);
const config = (password: string) =>
  parseDockerConfig(
    JSON.stringify({
      auths: { [host]: { auth: Buffer.from(`${BASIC_USER}:${password}`).toString('base64') } },
    }),
  );

t.test('a pod with credentials is answered after an anonymous refusal', async (t) => {
  const results: LookupResult[] = [];
  // The server itself holds no credentials for this registry.
  const registry = new RegistryLookups(new RegistryClient({ registries: seeded.settings }), (r) =>
    results.push(r),
  );
  const object = pod(
    [
      { name: 'api', image: AMD64 },
      { name: 'side', image: MULTI },
    ],
    { imagePullSecrets: [{ name: 'acme-pull' }] },
  );

  const anonymous = await admit(object, { policy, deps: { registry } });
  t.equal(anonymous.response.allowed, true);
  t.same(anonymous.ops, [], 'not pinned without access');
  t.match(anonymous.response.warnings?.join('\n'), /\(unauthorized\)/);
  t.ok(results.includes('unauthorized'), 'counted as unauthorized');

  const wrong = await admit(object, {
    policy,
    deps: { registry, pullCredentials: async () => config('not-the-password') },
  });
  t.match(wrong.response.warnings?.join('\n'), /\(unauthorized\)/, 'a wrong password is refused too');

  const asked: { namespace: string; secrets: V1PodSpec['imagePullSecrets'] }[] = [];
  const granted = await admit(object, {
    policy,
    deps: {
      registry,
      pullCredentials: async (namespace, spec) => {
        asked.push({ namespace, secrets: spec.imagePullSecrets });
        return config(BASIC_PASSWORD);
      },
    },
  });
  t.equal(granted.response.allowed, true);
  t.same(granted.response.warnings ?? [], [], 'the earlier refusals are not served to this requester');
  t.same(
    (granted.patched.spec as { nodeSelector?: unknown }).nodeSelector,
    { 'kubernetes.io/arch': 'amd64' },
    'pinned with the pod credentials',
  );
  t.same(asked, [{ namespace: 'team', secrets: [{ name: 'acme-pull' }] }], 'one credentials read per pod');
  t.ok(results.includes('ok'));

  const everything = JSON.stringify([anonymous, wrong, granted].map((a) => [a.findings, a.response]));
  t.notOk(everything.includes(BASIC_PASSWORD), 'no password in any finding or answer');
  t.notOk(everything.includes('not-the-password'));
  t.equal(
    JSON.stringify(config(BASIC_PASSWORD).get(host)),
    `{"username":"${BASIC_USER}","password":"<redacted>"}`,
  );
});

t.test('a provider that fails leaves the server credentials, and the lookup says why', async (t) => {
  const registry = new RegistryLookups(new RegistryClient({ registries: seeded.settings }));
  const { response } = await admit(pod([{ name: 'api', image: AMD64 }]), {
    policy,
    deps: {
      registry,
      pullCredentials: async () => {
        throw new Error('secrets are forbidden');
      },
    },
  });
  t.equal(response.allowed, true, 'never a crash');
  t.match(response.warnings?.join('\n'), /\(unauthorized\)/);
});
