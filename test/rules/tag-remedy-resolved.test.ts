// Where the registry was asked, image-tag's remedy names the build the tag points at now (the
// real digest, from a real registry on 127.0.0.1) and `kube-hygiene fix --pin-digests`: through
// `check --resolve`, `review --resolve` and the server with registry lookups on. The suggested
// image, checked in turn, passes the policy.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestFor } from '../../src/admission/object-request.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import { AuthMode, startSeededRegistry } from '../harness/registry/registries.js';
import { seedImages } from '../harness/registry/seed.js';
import { runCli } from '../harness/cli-process.js';
import { startTestServer } from '../harness/server.js';
import { deployment } from './registry-admit.js';

const seeds = seedImages();
const amd64 = seeds.find((s) => s.repo === 'amd64only')!;
// A sprawl tag in the registry itself, and a Docker Hub name the policy maps to it.
const images = [
  ...seeds,
  { ...amd64, tag: 'fixed-final' },
  { ...amd64, repo: 'library/family-assistant', tag: 'phase2-mcp-logging-fix' },
];
const seeded = await startSeededRegistry(AuthMode.plain, images);
t.teardown(seeded.stop);
const host = seeded.registry.host;
const DIGEST = amd64.manifest.digest;

const policy =
  'registries:\n' +
  `  docker.io: { endpoint: "http://${host}", insecure: true, allowPrivateAddress: true }\n` +
  `  "${host}": { insecure: true, allowPrivateAddress: true }\n` +
  'rules: { pod-identity-env: { action: off }, node-arch: { action: off } }\n';
const dir = mkdtempSync(join(tmpdir(), 'kh-tag-remedy-'));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const POLICY = write('policy.yaml', policy);
const manifest = (image: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: team }\n` +
  `spec: { template: { spec: { containers: [ { name: app, image: "${image}", resources: { requests: { cpu: 100m, memory: 64Mi } } } ] } } }\n`;

const SPRAWL = `${host}/amd64only:fixed-final`;
const pinnedRemedy = (image: string) =>
  `has a sprawl tag: pin the build it names now with kube-hygiene fix --pin-digests: ${image}@${DIGEST} (`;

t.test('check --resolve names the digest the tag points at now, and the remedy passes', async (t) => {
  const r = await runCli(['check', '--resolve', '--policy', POLICY, write('sprawl.yaml', manifest(SPRAWL))]);
  t.equal(r.code, 1, r.stderr);
  const column = manifest(SPRAWL).split('\n')[3]!.indexOf('"') + 1;
  t.match(
    r.stdout,
    `deny [image-tag] line 4:${column} container "app" image "${SPRAWL}" ${pinnedRemedy(SPRAWL)}`,
  );

  const applied = await runCli([
    'check',
    '--resolve',
    '--policy',
    POLICY,
    write('pinned.yaml', manifest(`${SPRAWL}@${DIGEST}`)),
  ]);
  t.equal(applied.code, 0, applied.stdout);
  t.match(applied.stdout, /checked 1 object in 1 file: 0 denied, 0 warned/);

  const offline = await runCli(['check', '--policy', POLICY, write('offline.yaml', manifest(SPRAWL))]);
  t.match(
    offline.stdout,
    'has a sprawl tag: tag the build with its version, git commit, date or build number, or pin a digest',
    'without --resolve nothing is known of the build: only the shape of a good tag',
  );
  t.notMatch(offline.stdout, /sha256:/);
});

t.test('an unqualified image is pinned under the name the runtime reads', async (t) => {
  const image = 'family-assistant:phase2-mcp-logging-fix';
  const r = await runCli(['check', '--resolve', '--policy', POLICY, write('hub.yaml', manifest(image))]);
  const qualified = `docker.io/library/${image}`;
  t.match(r.stdout, pinnedRemedy(qualified));
  t.notMatch(r.stdout, `now, ${image}@`, 'never the unqualified name image-registry denies');
  const applied = await runCli([
    'check',
    '--resolve',
    '--policy',
    POLICY,
    write('hub-pinned.yaml', manifest(`${qualified}@${DIGEST}`)),
  ]);
  t.equal(applied.code, 0, applied.stdout);
});

t.test('review --resolve and the server say the same', async (t) => {
  const object = deployment([{ name: 'app', image: SPRAWL }]);
  const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: requestFor(object) };
  const reviewed = await runCli([
    'review',
    '--resolve',
    '--policy',
    POLICY,
    write('review.json', JSON.stringify(review)),
  ]);
  t.equal(reviewed.code, 1);
  t.match(JSON.parse(reviewed.stdout).response.status.message, pinnedRemedy(SPRAWL));

  const audit = await runCli([
    'review',
    '--resolve',
    '--mode',
    'audit',
    '--policy',
    POLICY,
    join(dir, 'review.json'),
  ]);
  const [warning] = JSON.parse(audit.stdout).response.warnings as string[];
  t.ok(Buffer.byteLength(warning!) <= 256, 'a warning stays within 256 bytes');
  t.match(
    warning,
    ': pin the build it names now with kube-hygiene fix --pin-digests: ',
    'the command survives the cut',
  );

  const server = await startTestServer({ policy, registryLookups: true });
  t.teardown(() => server.stop());
  const res = await server.post('/validate', review);
  const { response } = res.json<AdmissionReviewResponse>();
  t.equal(response.allowed, false);
  t.match(response.status?.message, pinnedRemedy(SPRAWL));
});

t.test(
  'a policy with every registry rule off sends nothing to registries, for remedies either',
  async (t) => {
    const offline = write(
      'registry-rules-off.yaml',
      policy.replace(
        'rules: {',
        "rules: { image-exists: { action: 'off' }, image-digest: { action: 'off' }, ",
      ),
    );
    const r = await runCli([
      'check',
      '--resolve',
      '--policy',
      offline,
      write('quiet.yaml', manifest(SPRAWL)),
    ]);
    t.equal(r.code, 1);
    t.match(
      r.stdout,
      'has a sprawl tag: tag the build with its version, git commit, date or build number, or pin a digest',
    );
    t.notMatch(r.stdout, /sha256:/);
  },
);
