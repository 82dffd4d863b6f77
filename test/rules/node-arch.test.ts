// node-arch against a real registry (docker-registry on 127.0.0.1, seeded with a multi-arch
// OCI index with an attestation entry, a Docker manifest list, single-arch amd64 / arm64 /
// arm/v7 images and a Windows image): what a Pod is pinned to, what a Deployment's dry run
// previews, and what is denied. Every patch is applied with fast-json-patch and re-admitted.
import t, { type Test } from 'tap';
import { parsePolicy } from '../../src/policy/load.js';
import { RegistryClient } from '../../src/images/registry/client.js';
import { RegistryLookups } from '../../src/images/image-lookup.js';
import { registryRuleNotices } from '../../src/policy/registry-notices.js';
import { AuthMode, startSeededRegistry } from '../harness/registry/registries.js';
import { MISSING } from '../harness/registry/seed.js';
import { startFaultServer } from '../harness/registry/fault-server.js';
import { admit, deployment, pod } from './registry-admit.js';
import { compilePolicy } from '../../src/policy/compile.js';
import nodeArch from '../../src/rules/node-arch.js';

const seeded = await startSeededRegistry(AuthMode.plain);
t.teardown(seeded.stop);
const host = seeded.registry.host;
const img = (repo: string) => {
  const found = seeded.images.find((i) => i.repo === repo)!;
  return `${host}/${found.repo}:${found.tag}`;
};
const MULTI = img('multi'); // linux/amd64, linux/arm64 (+ attestation)
const LIST = img('dockerlist'); // linux/amd64, linux/arm64/v8, linux/arm/v7
const AMD64 = img('amd64only');
const ARM64 = img('arm64only');
const WINDOWS = img('windows');

// Only node-arch: the image tags here are test fixtures, not what image-tag judges.
const policyWith = (nodeArch = '{}') =>
  parsePolicy(
    `rules: { image-tag: { action: off }, pod-identity-env: { action: off }, image-exists: { action: off }, resource-requests: { action: off }, node-arch: ${nodeArch} }`,
    'test.yaml',
  );
const policy = policyWith();
const lookups = () => new RegistryLookups(new RegistryClient({ registries: seeded.settings }));
const deps = { registry: lookups() };
const c = (name: string, image: string) => ({ name, image });

/** Admits on /mutate, then admits the patched pod again: a second pass must change nothing. */
async function mutate(t: Test, object: Parameters<typeof admit>[0], p = policy) {
  const first = await admit(object, { policy: p, deps });
  const again = await admit(first.patched, { policy: p, deps });
  t.same(again.ops, [], 'reinvocation changes nothing');
  return first;
}

t.test('one shared architecture: nodeSelector, its parent created', async (t) => {
  const { response, patched, ops } = await mutate(t, pod([c('api', AMD64), c('side', MULTI)]));
  t.equal(response.allowed, true);
  t.same(ops, [{ op: 'add', path: '/spec/nodeSelector', value: { 'kubernetes.io/arch': 'amd64' } }]);
  t.same((patched.spec as { nodeSelector: unknown }).nodeSelector, { 'kubernetes.io/arch': 'amd64' });
});

t.test('an existing nodeSelector gains the key, escaped', async (t) => {
  const { ops, patched } = await mutate(t, pod([c('api', ARM64)], { nodeSelector: { disk: 'ssd' } }));
  t.same(ops, [{ op: 'add', path: '/spec/nodeSelector/kubernetes.io~1arch', value: 'arm64' }]);
  t.same((patched.spec as { nodeSelector: unknown }).nodeSelector, {
    disk: 'ssd',
    'kubernetes.io/arch': 'arm64',
  });
});

t.test('several shared architectures: required affinity in every term, or a new term', async (t) => {
  const fresh = await mutate(t, pod([c('api', MULTI), c('side', LIST)]));
  t.same(
    (fresh.patched.spec as Record<string, unknown>).affinity,
    {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] },
          ],
        },
      },
    },
    'attestation entry ignored; arm/v7 is not shared',
  );
  const zone = (z: string) => ({
    matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [z] }],
  });
  const affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [zone('a'), zone('b')] },
    },
  };
  const { patched } = await mutate(t, pod([c('api', MULTI)], { affinity }));
  const terms = (patched.spec as { affinity: typeof affinity }).affinity.nodeAffinity
    .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
  t.equal(terms.length, 2, 'terms stay ORed, none added');
  for (const term of terms) {
    t.same(term.matchExpressions[1], {
      key: 'kubernetes.io/arch',
      operator: 'In',
      values: ['amd64', 'arm64'],
    });
  }
});

t.test('nothing to pin: the rule never asks to edit, so nothing is copied', async (t) => {
  let asked = 0;
  // node-arch as it is, looking at its context through a window that counts asks for edits.
  const counted = {
    ...nodeArch,
    evaluate(ctx: Parameters<typeof nodeArch.evaluate>[0], options: unknown) {
      const window = new Proxy(ctx, {
        get: (target, key) => (key === 'edits' && asked++, Reflect.get(target, key, target)),
      });
      return nodeArch.evaluate(window, options as never);
    },
  } as typeof nodeArch;
  const only = compilePolicy(policy.policy, [counted]);
  const pinned = pod([c('api', AMD64)], { nodeSelector: { 'kubernetes.io/arch': 'amd64' } });
  t.same((await admit(pinned, { policy: only, deps })).ops, []);
  t.equal(asked, 0, 'a pod already pinned');
  t.same((await admit(pod([c('api', AMD64)]), { policy: only, deps })).ops.length, 1);
  t.equal(asked, 1, 'a pod to pin asks, once');
});

t.test('init containers constrain; ephemeral containers do not', async (t) => {
  const { patched } = await mutate(
    t,
    pod([c('api', MULTI)], { initContainers: [c('init', ARM64)], ephemeralContainers: [c('debug', AMD64)] }),
  );
  t.same((patched.spec as { nodeSelector: unknown }).nodeSelector, { 'kubernetes.io/arch': 'arm64' });
});

t.test('Windows-only images are pinned to the os as well', async (t) => {
  const { patched } = await mutate(t, pod([c('app', WINDOWS)]));
  t.same((patched.spec as { nodeSelector: unknown }).nodeSelector, {
    'kubernetes.io/os': 'windows',
    'kubernetes.io/arch': 'amd64',
  });
});

t.test('no shared platform: denied, naming each image and its platforms', async (t) => {
  const { response, ops } = await admit(pod([c('api', AMD64), c('sidecar', ARM64)]), { policy, deps });
  t.equal(response.allowed, false);
  t.same(ops, []);
  t.match(
    response.status?.message,
    /container api\) is linux\/amd64 only; image .* \(container sidecar\) is linux\/arm64 only: no node can run this pod/,
  );
  const mixed = await admit(pod([c('api', AMD64), c('win', WINDOWS)]), { policy, deps });
  t.equal(mixed.response.allowed, false, 'linux-only and windows-only images share no node');
});

t.test("the pod's own pin: compatible is left alone, conflicting is denied", async (t) => {
  const compatible = await mutate(
    t,
    pod([c('api', MULTI)], { nodeSelector: { 'kubernetes.io/arch': 'arm64' } }),
  );
  t.same(compatible.ops, []);
  t.equal(compatible.response.allowed, true);

  const conflict = await admit(pod([c('api', AMD64)], { nodeSelector: { 'kubernetes.io/arch': 'arm64' } }), {
    policy,
    deps,
  });
  t.equal(conflict.response.allowed, false);
  t.match(
    conflict.response.status?.message,
    /nodeSelector kubernetes\.io\/arch=arm64 does not fit its images: image ".*amd64only:v2\.1\.0" \(container api\) is linux\/amd64 only/,
  );

  const affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64', 'arm'] }] },
        ],
      },
    },
  };
  const byAffinity = await admit(pod([c('api', AMD64)], { affinity }), { policy, deps });
  t.equal(byAffinity.response.allowed, false, 'an affinity pin is judged the same way');
  const narrowed = await mutate(t, pod([c('api', MULTI)], { affinity }));
  t.same(
    (narrowed.patched.spec as { nodeSelector: unknown }).nodeSelector,
    { 'kubernetes.io/arch': 'arm64' },
    'a pin that admits arm, which no image has, is narrowed to arm64',
  );
});

t.test('a lookup that fails lets the pod through unpinned, saying why', async (t) => {
  // Not in `registries`: loopback is refused, and no connection is made.
  const unlisted = `127.0.0.1:1/acme/api:v1.0.0`;
  const { response, ops } = await admit(pod([c('api', unlisted), c('side', AMD64)]), { policy, deps });
  t.equal(response.allowed, true);
  t.same(ops, [], 'no pin from half the images');
  t.match(
    response.warnings?.join('\n'),
    /not pinned to an architecture: platforms of "127\.0\.0\.1:1\/acme\/api:v1\.0\.0" unknown \(blocked-address\): refusing 127\.0\.0\.1: set registries\["127\.0\.0\.1:1"\]/,
  );

  const strict = policyWith('{ onLookupFailure: deny }');
  const denied = await admit(pod([c('api', unlisted)]), { policy: strict, deps });
  t.equal(denied.response.allowed, false, 'onLookupFailure: deny');

  const missing = await admit(pod([c('api', `${host}/${MISSING.repo}:${MISSING.tag}`)]), { policy, deps });
  t.same(missing.ops, [], 'a tag never pushed is not pinned');
  t.same(missing.findings, [], 'and left to image-exists to report');

  const late = new AbortController();
  late.abort();
  const timedOut = await admit(pod([c('api', AMD64)]), {
    policy,
    deps: { registry: lookups(), deadline: late },
  });
  t.equal(timedOut.response.allowed, true, 'the request deadline passed: allowed');
  t.match(timedOut.response.warnings?.join('\n'), /\(timeout\).*ran out of time/);
});

t.test('workload templates: a preview on validate, never a patch', async (t) => {
  const dep = deployment([c('api', AMD64), c('side', MULTI)]);
  const validated = await admit(dep, { endpoint: 'validate', policy, deps, dryRun: true });
  t.equal(validated.response.allowed, true);
  t.match(
    validated.response.warnings?.join('\n'),
    /pods will be pinned to kubernetes\.io\/arch=amd64: image ".*amd64only:v2\.1\.0" \(container api\) is linux\/amd64 only/,
  );
  const mutated = await admit(dep, { policy, deps });
  t.same(mutated.ops, [], 'templates are not rewritten');

  const several = await admit(deployment([c('api', MULTI)]), { endpoint: 'validate', policy, deps });
  t.match(
    several.response.warnings?.join('\n'),
    /pods will be pinned to kubernetes\.io\/arch In \[amd64, arm64\]/,
  );

  const conflict = await admit(deployment([c('api', AMD64), c('side', ARM64)]), {
    endpoint: 'validate',
    policy,
    deps,
  });
  t.equal(conflict.response.allowed, false, 'no common arch is denied at the template');
  const pinned = deployment([c('api', AMD64)], { nodeSelector: { 'kubernetes.io/arch': 'arm64' } });
  const pinConflict = await admit(pinned, { endpoint: 'validate', policy, deps });
  t.equal(pinConflict.response.allowed, false, 'a conflicting pin is denied at the template');
  const ok = await admit(deployment([c('api', AMD64)], { nodeSelector: { 'kubernetes.io/arch': 'amd64' } }), {
    endpoint: 'validate',
    policy,
    deps,
  });
  t.same(ok.findings, [], 'a compatible pin: nothing to say');
});

t.test('without registry lookups the rule is off, and says so once', async (t) => {
  const { response, ops } = await admit(pod([c('api', AMD64), c('side', ARM64)]), { policy });
  t.equal(response.allowed, true);
  t.same(ops, []);
  t.same(registryRuleNotices(policy, 'no lookups'), ['node-arch is off: no lookups']);
});

t.test(
  'images that already share no platform are denied though a third could not be looked up',
  async (t) => {
    const faults = await startFaultServer();
    t.teardown(faults.close);
    // A registry that never answers: its lookup times out (the per-lookup timeout is short here).
    const hanging = `${faults.host}/slow-headers:v1.0.0`;
    const registry = new RegistryLookups(
      new RegistryClient({
        registries: { ...seeded.settings, [faults.host]: { insecure: true, allowPrivateAddress: true } },
        timeoutMs: 300,
      }),
    );
    const missing = `${host}/${MISSING.repo}:${MISSING.tag}`;
    for (const [third, failure] of [
      [hanging, 'timeout'],
      [missing, 'not-found'],
    ] as const) {
      for (const endpoint of ['mutate', 'validate'] as const) {
        const object =
          endpoint === 'mutate'
            ? pod([c('api', AMD64), c('agent', ARM64), c('db', third)])
            : deployment([c('api', AMD64), c('agent', ARM64), c('db', third)]);
        const { response, ops } = await admit(object, { policy, endpoint, deps: { registry } });
        t.equal(response.allowed, false, `${failure} on ${endpoint}: denied`);
        t.same(ops, []);
        const message = response.status?.message ?? '';
        t.match(
          message,
          /container api\) is linux\/amd64 only; image .* \(container agent\) is linux\/arm64 only: no node can run this pod/,
        );
        t.match(
          message,
          new RegExp(`not checked, and no image can change this: image ".*" \\(container db\\): ${failure}`),
          'and says which image could not be checked',
        );
      }
    }
    // A pin no resolved image fits is as certain.
    const pinned = await admit(
      pod([c('api', AMD64), c('db', hanging)], { nodeSelector: { 'kubernetes.io/arch': 'arm64' } }),
      { policy, deps: { registry } },
    );
    t.equal(pinned.response.allowed, false, 'a pin the resolved images do not fit');
    t.match(pinned.response.status?.message, /does not fit its images.*not checked.*container db\): timeout/);
    // Images that still share a platform: the unchecked one could still narrow it, so nothing is certain.
    const open = await admit(pod([c('api', AMD64), c('side', MULTI), c('db', hanging)]), {
      policy,
      deps: { registry },
    });
    t.equal(open.response.allowed, true, 'no conflict yet: allowed unpinned, as before');
    t.same(open.ops, []);
  },
);
