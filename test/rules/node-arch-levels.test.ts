// node-arch with amd64 micro-architecture levels turned on (`amd64LevelLabel`), against a real
// registry holding indexes with amd64 v3/v4 builds: off by default; on, an amd64-only pod
// whose images need v3 is pinned to nodes labelled v3 or v4, a pod pinned below is denied,
// and a pod that can also run on arm64 is not level-pinned (it would shut arm64 out).
import t from 'tap';
import { parsePolicy } from '../../src/policy/load.js';
import { RegistryClient } from '../../src/images/registry/client.js';
import { RegistryLookups } from '../../src/images/image-lookup.js';
import { AuthMode, startSeededRegistry } from '../harness/registry/registries.js';
import { indexOf, singleImage, type PlatformSpec } from '../harness/registry/images.js';
import { pushImage } from '../harness/registry/push.js';
import { admit, deployment, pod } from './registry-admit.js';

const seeded = await startSeededRegistry(AuthMode.plain);
t.teardown(seeded.stop);
const host = seeded.registry.host;
const target = { url: seeded.registry.url, authorization: () => undefined };
const platform = (architecture: string, variant?: string): PlatformSpec => ({
  os: 'linux',
  architecture,
  ...(variant && { variant }),
});
const index = (...platforms: PlatformSpec[]) =>
  indexOf(
    'oci',
    platforms.map((p) => ({ manifest: singleImage(p, 'oci', `levels ${JSON.stringify(p)}`), platform: p })),
  );
await pushImage(target, 'needs-v3', 'v1.0.0', index(platform('amd64', 'v3'), platform('amd64', 'v4')));
await pushImage(target, 'baseline-too', 'v1.0.0', index(platform('amd64'), platform('amd64', 'v3')));
await pushImage(target, 'v3-or-arm', 'v1.0.0', index(platform('amd64', 'v3'), platform('arm64')));

const LABEL = 'node.example.com/x86-64-level';
const base = 'image-tag: { action: off }, pod-identity-env: { action: off }, image-exists: { action: off }';
const off = parsePolicy(`rules: { ${base} }`, 'test.yaml');
const on = parsePolicy(`rules: { ${base}, node-arch: { amd64LevelLabel: "${LABEL}" } }`, 'test.yaml');
const deps = { registry: new RegistryLookups(new RegistryClient({ registries: seeded.settings })) };
const c = (repo: string) => ({ name: repo, image: `${host}/${repo}:v1.0.0` });
const levelIn = (values: string[]) => ({ key: LABEL, operator: 'In', values });

t.test('off by default: amd64 only, whatever level the builds need', async (t) => {
  const { patched } = await admit(pod([c('needs-v3')]), { policy: off, deps });
  t.same(patched.spec, { containers: [c('needs-v3')], nodeSelector: { 'kubernetes.io/arch': 'amd64' } });
});

t.test('on: pinned to the level the images need or higher; a second pass keeps it', async (t) => {
  const first = await admit(pod([c('needs-v3'), c('baseline-too')]), { policy: on, deps });
  t.same(first.patched.spec, {
    containers: [c('needs-v3'), c('baseline-too')],
    nodeSelector: { 'kubernetes.io/arch': 'amd64' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [levelIn(['v3', 'v4'])] }],
        },
      },
    },
  });
  const again = await admit(first.patched, { policy: on, deps });
  t.same(again.ops, [], 'reinvocation changes nothing');

  const baseline = await admit(pod([c('baseline-too')]), { policy: on, deps });
  t.same(baseline.patched.spec, {
    containers: [c('baseline-too')],
    nodeSelector: { 'kubernetes.io/arch': 'amd64' },
  });

  const both = await admit(pod([c('v3-or-arm')]), { policy: on, deps });
  t.notMatch(JSON.stringify(both.patched), LABEL, 'a pod that may land on arm64 gets no level expression');
});

t.test('on: a pod pinned below the level is denied; templates get a preview', async (t) => {
  const low = await admit(pod([c('needs-v3')], { nodeSelector: { [LABEL]: 'v2' } }), { policy: on, deps });
  t.equal(low.response.allowed, false);
  t.match(
    low.response.status?.message,
    /nodeSelector node\.example\.com\/x86-64-level=v2 is below what its images need \(v3 or higher\)/,
  );

  const preview = await admit(deployment([c('needs-v3')]), { endpoint: 'validate', policy: on, deps });
  t.match(
    preview.response.warnings?.join('\n'),
    /pods will be pinned to kubernetes\.io\/arch=amd64, node\.example\.com\/x86-64-level In \[v3, v4\]/,
  );
});
