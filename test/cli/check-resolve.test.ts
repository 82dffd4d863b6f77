// `kube-hygiene check --resolve`: the registry rules offline, with the policy's registry
// settings, against a real registry on 127.0.0.1; without --resolve they are skipped and the
// summary says so. The real binary, real files, exit codes and JSON.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthMode, startSeededRegistry } from '../harness/registry/registries.js';
import { MISSING } from '../harness/registry/seed.js';
import { runCli } from '../harness/cli-process.js';

const cli = runCli;

const seeded = await startSeededRegistry(AuthMode.plain);
t.teardown(seeded.stop);
const host = seeded.registry.host;
const dir = mkdtempSync(join(tmpdir(), 'kh-resolve-'));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const policy = write(
  'policy.yaml',
  `registries: { "${host}": { insecure: true, allowPrivateAddress: true } }\n` +
    'rules: { image-tag: { action: off }, pod-identity-env: { action: off }, resource-requests: { action: off } }\n',
);
const deploymentOf = (name: string, images: string[]) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: team }
spec:
  template:
    spec:
      containers:
${images.map((image, i) => `        - { name: c${i}, image: "${image}" }`).join('\n')}
`;
const PINNED = write(
  'pinned.yaml',
  deploymentOf('api', [`${host}/amd64only:v2.1.0`, `${host}/multi:v1.0.0`]),
);
const CONFLICT = write(
  'conflict.yaml',
  deploymentOf('mixed', [`${host}/amd64only:v2.1.0`, `${host}/arm64only:1.0.0`]),
);
const MISSING_IMAGE = write(
  'missing.yaml',
  deploymentOf('ghost', [`${host}/${MISSING.repo}:${MISSING.tag}`]),
);

t.test('--resolve previews placement, denies what no node can run, reports missing tags', async (t) => {
  const pinned = await cli(['check', '--resolve', '--policy', policy, PINNED]);
  t.equal(pinned.code, 0, pinned.stderr);
  t.match(
    pinned.stdout,
    /warn \[node-arch\] line [\d:]+ pods will be pinned to kubernetes\.io\/arch=amd64: image ".*amd64only:v2\.1\.0" \(container c0\) is linux\/amd64 only/,
  );
  t.notMatch(pinned.stdout, /skipped/);

  const conflict = await cli(['check', '--resolve', '--policy', policy, '-o', 'json', CONFLICT]);
  t.equal(conflict.code, 1, 'a denial exits 1');
  const out = JSON.parse(conflict.stdout);
  t.same(out.summary, { documents: 1, denied: 1, warned: 0, errors: 0, skipped: [] });
  t.match(out.results[0].findings[0], {
    rule: 'node-arch',
    action: 'deny',
    path: '/spec/template/spec',
    message: /no node can run this pod/,
  });

  const missing = await cli(['check', '--resolve', '--policy', policy, MISSING_IMAGE]);
  t.match(
    missing.stdout,
    /warn \[image-exists\] line [\d:]+ image ".*" is not in the registry \(was it pushed\?\)/,
  );
});

t.test('without --resolve the registry rules are skipped, and the summary says so', async (t) => {
  const r = await cli(['check', '--policy', policy, CONFLICT]);
  t.equal(r.code, 0, 'nothing judged that needs a registry');
  t.match(
    r.stdout,
    /checked 1 object in 1 file: 0 denied, 0 warned; skipped node-arch, image-exists \(they ask image registries: pass --resolve\)/,
  );
  const json = JSON.parse((await cli(['check', '--policy', policy, '-o', 'json', CONFLICT])).stdout);
  t.same(json.summary.skipped, ['node-arch', 'image-exists']);
});

t.test('registry settings that cannot be used are a clear error (exit 2)', async (t) => {
  const broken = write(
    'broken.yaml',
    `registries: { "${host}": { caFile: ${join(dir, 'no-such-ca.pem')} } }\n`,
  );
  const r = await cli(['check', '--resolve', '--policy', broken, PINNED]);
  t.equal(r.code, 2);
  t.match(
    r.stderr,
    /registry settings cannot be used with --resolve: .*caFile .*no-such-ca\.pem cannot be read/,
  );
});

t.test('review --resolve answers as the server would, patch included', async (t) => {
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: 'team',
      userInfo: { username: 'dev' },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'api', namespace: 'team' },
        spec: { containers: [{ name: 'api', image: `${host}/arm64only:1.0.0` }] },
      },
    },
  };
  const file = write('review.json', JSON.stringify(review));
  const resolved = await cli(['review', '--resolve', '--endpoint', 'mutate', '--policy', policy, file]);
  t.equal(resolved.code, 0, resolved.stderr);
  t.equal(resolved.stderr, '');
  const { response } = JSON.parse(resolved.stdout);
  t.same(JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')), [
    { op: 'add', path: '/spec/nodeSelector', value: { 'kubernetes.io/arch': 'arm64' } },
  ]);

  const offline = await cli(['review', '--endpoint', 'mutate', '--policy', policy, file]);
  t.equal(JSON.parse(offline.stdout).response.patch, undefined, 'no lookups, no pin');
  t.match(offline.stderr, /skipped node-arch, image-exists \(they ask image registries: pass --resolve\)/);
});
