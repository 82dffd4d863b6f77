// image-exists and image-digest against a real registry: a tag never pushed is reported as
// such and an unreachable registry is not; Pods are pinned to the digest their tag names
// (patch applied with fast-json-patch), templates never are.
import t from 'tap';
import { parsePolicy } from '../../src/policy/load.js';
import { RegistryClient } from '../../src/images/registry/client.js';
import { RegistryLookups } from '../../src/images/image-lookup.js';
import { AuthMode, startSeededRegistry } from '../harness/registry/registries.js';
import { MISSING } from '../harness/registry/seed.js';
import { admit, deployment, pod } from './registry-admit.js';

const seeded = await startSeededRegistry(AuthMode.plain);
t.teardown(seeded.stop);
const host = seeded.registry.host;
const amd64 = seeded.images.find((i) => i.repo === 'amd64only')!;
const AMD64 = `${host}/amd64only:${amd64.tag}`;
const NEVER_PUSHED = `${host}/${MISSING.repo}:${MISSING.tag}`;
const deps = { registry: new RegistryLookups(new RegistryClient({ registries: seeded.settings })) };
const base =
  'image-tag: { action: off }, pod-identity-env: { action: off }, node-arch: { action: off }, resource-requests: { action: off }';
const policy = parsePolicy(`rules: { ${base} }`, 'test.yaml');
const digestPolicy = parsePolicy(`rules: { ${base}, image-digest: { action: warn } }`, 'test.yaml');

t.test('image-exists: a tag never pushed is reported, an unreachable registry is not', async (t) => {
  const { response, findings } = await admit(
    deployment([
      { name: 'api', image: NEVER_PUSHED },
      { name: 'ok', image: AMD64 },
      { name: 'far', image: '127.0.0.1:1/acme/api:v1.0.0' },
    ]),
    { endpoint: 'validate', policy, deps },
  );
  t.equal(response.allowed, true, 'warn by default');
  t.same(
    findings.map((f) => [f.rule, f.path, f.message]),
    [
      [
        'image-exists',
        '/spec/template/spec/containers/0/image',
        `image "${NEVER_PUSHED}" is not in the registry (was it pushed?)`,
      ],
    ],
    'only the missing tag; the blocked registry says nothing about its image',
  );
  const byDigest = await admit(pod([{ name: 'api', image: `${host}/amd64only@sha256:${'0'.repeat(64)}` }]), {
    endpoint: 'validate',
    policy,
    deps,
  });
  t.match(
    byDigest.response.warnings?.join('\n'),
    /is not in the registry \(was it pushed\?\)/,
    'a digest too',
  );
  const denying = parsePolicy(`rules: { ${base}, image-exists: { action: deny } }`, 'test.yaml');
  const denied = await admit(pod([{ name: 'api', image: NEVER_PUSHED }]), {
    endpoint: 'validate',
    policy: denying,
    deps,
  });
  t.equal(denied.response.allowed, false, 'action deny');
});

t.test('image-digest: Pods pinned on CREATE, templates and digests left alone', async (t) => {
  const first = await admit(pod([{ name: 'api', image: AMD64 }]), { policy: digestPolicy, deps });
  t.same(first.ops, [
    { op: 'replace', path: '/spec/containers/0/image', value: `${AMD64}@${amd64.manifest.digest}` },
  ]);
  const again = await admit(first.patched, { policy: digestPolicy, deps });
  t.same(again.ops, [], 'a pinned image is not pinned again');

  const template = await admit(deployment([{ name: 'api', image: AMD64 }]), { policy: digestPolicy, deps });
  t.same(template.ops, [], 'workload templates are never rewritten');

  const missing = await admit(pod([{ name: 'api', image: NEVER_PUSHED }]), { policy: digestPolicy, deps });
  t.same(missing.ops, []);
  t.match(missing.response.warnings?.join('\n'), /was not pinned to a digest \(not-found\)/);
  t.equal(missing.response.allowed, true);

  const off = await admit(pod([{ name: 'api', image: AMD64 }]), { policy, deps });
  t.same(off.ops, [], 'off by default');
});
