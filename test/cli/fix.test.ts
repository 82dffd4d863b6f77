// `kube-hygiene fix`: the built CLI on temp copies of manifests, --pin-digests against a real
// registry on 127.0.0.1 that the policy's `registries` settings put in Docker Hub's place. Every
// byte outside the rewritten image scalars stays as written; a second run changes nothing.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { AuthMode, startSeededRegistry } from '../harness/registry/registries.js';
import { MISSING, seedImages } from '../harness/registry/seed.js';
import { runCli } from '../harness/cli-process.js';

const seeds = seedImages();
const seed = (repo: string) => seeds.find((s) => s.repo === repo)!;
// Docker Hub names, served by the local registry: `nginx` is `library/nginx` there.
const hub = [
  { ...seed('multi'), repo: 'library/nginx', tag: '1.27.3' },
  { ...seed('amd64only'), repo: 'fluent/fluent-bit', tag: 'fixed-final' },
];
const seeded = await startSeededRegistry(AuthMode.plain, [...seeds, ...hub]);
t.teardown(seeded.stop);
const host = seeded.registry.host;
const digestOf = (repo: string) => [...seeds, ...hub].find((s) => s.repo === repo)!.manifest.digest;

const dir = mkdtempSync(join(tmpdir(), 'kh-fix-'));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const registries =
  'registries:\n' +
  `  docker.io: { endpoint: "http://${host}", insecure: true, allowPrivateAddress: true }\n` +
  `  "${host}": { insecure: true, allowPrivateAddress: true }\n`;
const POLICY = write(
  'policy.yaml',
  `${registries}rules: { pod-identity-env: { action: off }, resource-requests: { action: off } }\n`,
);

// Comments, both quoting styles, a flow mapping, two documents and a List.
const MANIFEST = `# The shop, as its team wrote it.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # two spaces before this comment
  namespace: shop
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: 'fluent/fluent-bit:fixed-final'    # single-quoted
      containers:
        - name: web
          image: nginx:1.27.3 # plain
        - {name: sidecar, image: "${host}/multi:v1.0.0", ports: [ {containerPort: 80} ]}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p, namespace: shop}
    spec:
      containers:
        - name: a
          image: "${host}/amd64only:v2.1.0"
`;

/** The manifest with these scalars (as written, quotes included) replaced, and nothing else. */
function replaced(pairs: [from: string, to: string][]): string {
  let text = MANIFEST;
  for (const [from, to] of pairs) {
    t.equal(text.split(from).length, 2, `${from} occurs once`);
    text = text.replace(from, to);
  }
  return text;
}

let copies = 0;
const copy = (text = MANIFEST, ext = 'yaml') => write(`m${++copies}.${ext}`, text);
const fix = (...args: string[]) => runCli(['fix', '--policy', POLICY, ...args]);

t.test('short names become what the runtime reads; nothing else in the file changes', async (t) => {
  const file = copy();
  const r = await fix(file);
  t.equal(r.code, 1, 'the sprawl tag is left, and no automatic fix settles it');
  t.equal(
    readFileSync(file, 'utf8'),
    replaced([
      ["'fluent/fluent-bit:fixed-final'", "'docker.io/fluent/fluent-bit:fixed-final'"],
      ['nginx:1.27.3 #', 'docker.io/library/nginx:1.27.3 #'],
    ]),
  );
  t.match(r.stdout, `${file}:15:18: nginx:1.27.3 -> docker.io/library/nginx:1.27.3\n`);
  t.match(
    r.stdout,
    /:12:18: deny \[image-tag\] container "migrate" image "docker\.io\/fluent\/fluent-bit:fixed-final" has a sprawl tag: .*or pin a digest/,
  );
  t.match(r.stdout, /fixed 2 images in 1 file; 1 finding left that fix cannot settle\n$/);
});

t.test('--pin-digests pins every tag to what the registry serves now, idempotently', async (t) => {
  const file = copy();
  const r = await fix('--pin-digests', file);
  t.equal(r.code, 0, r.stdout + r.stderr);
  const expected = replaced([
    [
      "'fluent/fluent-bit:fixed-final'",
      `'docker.io/fluent/fluent-bit:fixed-final@${digestOf('fluent/fluent-bit')}'`,
    ],
    ['nginx:1.27.3 #', `docker.io/library/nginx:1.27.3@${digestOf('library/nginx')} #`],
    [`"${host}/multi:v1.0.0"`, `"${host}/multi:v1.0.0@${digestOf('multi')}"`],
    [`"${host}/amd64only:v2.1.0"`, `"${host}/amd64only:v2.1.0@${digestOf('amd64only')}"`],
  ]);
  t.equal(readFileSync(file, 'utf8'), expected);
  t.match(r.stdout, /fixed 4 images in 1 file\n$/);

  const again = await fix('--pin-digests', file);
  t.equal(again.code, 0, 'nothing left to fix');
  t.equal(readFileSync(file, 'utf8'), expected, 'the second run changes nothing');
  t.match(again.stdout, /^fixed 0 images in 0 files\n$/);
});

t.test('--dry-run prints the diff patch applies, and writes nothing', async (t) => {
  const file = copy();
  const r = await fix('--dry-run', '--pin-digests', file);
  t.equal(r.code, 0, r.stderr);
  t.equal(readFileSync(file, 'utf8'), MANIFEST, 'nothing written');
  t.ok(r.stdout.startsWith(`--- a${file}\n+++ b${file}\n@@ -9,11 +9,11 @@\n`), r.stdout.slice(0, 200));
  t.match(r.stderr, /would fix 4 images in 1 file \(nothing written\)\n$/);
  const applied = spawnSync('patch', ['--batch', '--silent', '-p1', file], {
    input: r.stdout,
    encoding: 'utf8',
  });
  t.equal(applied.status, 0, applied.stdout + applied.stderr);
  const real = copy();
  await fix('--pin-digests', real);
  t.equal(
    readFileSync(file, 'utf8'),
    readFileSync(real, 'utf8'),
    'the diff, applied, is what a real run writes',
  );
});

t.test('what fix cannot settle is left as written and said (exit 1)', async (t) => {
  const hubless = write(
    'hubless.yaml',
    `${registries}rules:\n  pod-identity-env: { action: off }\n  image-registry: { allowedRegistries: ["${host}"] }\n`,
  );
  const text = `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - { name: a, image: nginx:1.27.3 }
    - { name: b, image: "${host}/${MISSING.repo}:${MISSING.tag}" }
`;
  const file = copy(text);
  const r = await runCli(['fix', '--pin-digests', '--policy', hubless, file]);
  t.equal(r.code, 1);
  t.equal(readFileSync(file, 'utf8'), text, 'nothing could be fixed, nothing changed');
  t.match(
    r.stdout,
    `${file}:6:25: image "nginx:1.27.3" was not qualified: the runtime pulls docker.io/library/nginx:1.27.3, which allowedRegistries does not admit`,
  );
  t.match(r.stdout, /:7:25: image ".*v9\.9\.9-never-pushed" was not pinned to a digest \(not-found\)/);
  t.match(
    r.stdout,
    /deny \[image-registry\] container "a" image "nginx:1\.27\.3" names no registry: push it as /,
  );
});

t.test('JSON is rewritten losslessly; anchors and aliases are left to the user', async (t) => {
  const json = `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},\n "spec": {"containers": [{"name": "a",  "image": "nginx:1.27.3"}]}}\n`;
  const file = copy(json, 'json');
  const r = await fix(file);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.equal(readFileSync(file, 'utf8'), json.replace('"nginx:1.27.3"', '"docker.io/library/nginx:1.27.3"'));

  const aliased = `apiVersion: v1
kind: Pod
metadata: { name: p }
images: { web: &web nginx:1.27.3 }
spec:
  containers:
    - { name: a, image: *web }
`;
  const yaml = copy(aliased);
  const a = await fix(yaml);
  t.equal(readFileSync(yaml, 'utf8'), aliased);
  t.match(
    a.stdout,
    /image "nginx:1\.27\.3" is written through a YAML alias.*write docker\.io\/library\/nginx:1\.27\.3 there by hand/,
  );
  t.equal(a.code, 1);
});

t.test('a file that is not YAML is never touched (exit 2); usage errors are one line', async (t) => {
  const chart = `apiVersion: v1\nkind: Pod\nmetadata: { name: {{ .Release.Name }} }\nspec: [\n`;
  const file = copy(chart);
  const good = copy();
  const r = await fix(file, good);
  t.equal(r.code, 2);
  t.equal(readFileSync(file, 'utf8'), chart);
  t.match(r.stderr, new RegExp(`error ${file.replaceAll('.', '\\.')}:\\d+:\\d+: .*; left as it is`));
  t.not(readFileSync(good, 'utf8'), MANIFEST, 'the other files are still fixed');

  // Aliases that expand exponentially are refused, not expanded.
  const levels = Array.from(
    { length: 8 },
    (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`,
  );
  const bomb = copy(`l0: &l0 x\n${levels.join('\n')}\n`);
  const exploded = await fix(bomb);
  t.equal(exploded.code, 2);
  t.match(exploded.stderr, /alias count.*; left as it is/i);

  const missing = await fix(join(dir, 'no-such-dir'));
  t.equal(missing.code, 2);
  t.match(missing.stderr, /no such file or directory: .*no-such-dir/);
  const stdin = await fix('-');
  t.equal(stdin.code, 2);
  t.match(stdin.stderr, /^kube-hygiene fix: fix rewrites files in place and cannot read stdin/);
  const unknown = await fix('--pin', file);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /^kube-hygiene fix: unknown option --pin\n\nusage: kube-hygiene fix /);
  t.notMatch(unknown.stderr, /\n +at /, 'no stack trace');
});

t.test(
  'a directory: every manifest under it, nothing else; the command is listed and has help',
  async (t) => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'apps', '.git'), { recursive: true });
    const pod = (image: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec: { containers: [ { name: a, image: ${image} } ] }\n`;
    writeFileSync(join(tree, 'a.yaml'), pod('nginx:1.27.3'));
    writeFileSync(join(tree, 'apps', 'b.yml'), pod('fluent/fluent-bit:1.9.10'));
    writeFileSync(join(tree, 'apps', 'notes.txt'), pod('nginx:1.27.3'));
    writeFileSync(join(tree, 'apps', '.git', 'c.yaml'), pod('nginx:1.27.3'));
    const r = await fix(tree);
    t.equal(r.code, 0, r.stdout + r.stderr);
    t.match(r.stdout, /fixed 2 images in 2 files\n$/);
    t.equal(readFileSync(join(tree, 'a.yaml'), 'utf8'), pod('docker.io/library/nginx:1.27.3'));
    t.equal(readFileSync(join(tree, 'apps', 'b.yml'), 'utf8'), pod('docker.io/fluent/fluent-bit:1.9.10'));
    t.equal(
      readFileSync(join(tree, 'apps', 'notes.txt'), 'utf8'),
      pod('nginx:1.27.3'),
      'not a manifest name',
    );
    t.equal(readFileSync(join(tree, 'apps', '.git', 'c.yaml'), 'utf8'), pod('nginx:1.27.3'), 'hidden');

    const help = await runCli(['fix', '--help']);
    t.equal(help.code, 0);
    t.match(help.stdout, /^usage: kube-hygiene fix \[options\] PATH…/);
    t.match((await runCli(['--help'])).stdout, /^ {2}fix {6}qualify image names and pin digests/m);
  },
);
