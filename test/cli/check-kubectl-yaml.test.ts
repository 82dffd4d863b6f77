// `check` reads YAML as kubectl does: an unquoted value kubectl reads as a boolean or a number
// where the API wants a string is an input error (kubectl refuses the file), with file:line, the
// path and the fix; what YAML 1.1 calls a number but kubectl keeps as text passes.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readManifestText } from '../../src/cli/documents.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kh-kubectl-yaml-'));

function check(name: string, text: string, output = 'text') {
  const path = join(dir, name);
  writeFileSync(path, text);
  const r = spawnSync(process.execPath, [BIN, 'check', '-o', output, path], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { path, code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const read = (text: string) => readManifestText(text, 'in.yaml');
const messages = (text: string) => read(text).problems.map((p) => p.message);

const NAMESPACE = (mode: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: team
  labels:
    kube-hygiene.io/mode: ${mode}
`;

const DEPLOYMENT = (v: {
  annotation: string;
  label: string;
  env: string;
  arg: string;
}) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: team
  annotations:
    kube-hygiene.io/pod-identity: ${v.annotation}
spec:
  replicas: 2
  selector: { matchLabels: { app: api } }
  template:
    metadata:
      labels: { app: api, canary: ${v.label} }
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:v1.4.2
          args: [--cache, ${v.arg}]
          env:
            - name: WORKERS
              value: ${v.env}
`;

t.test('unquoted off, yes and 1_000 where strings belong exit 2 with file:line, path and fix', async (t) => {
  const r = check('misread.yaml', DEPLOYMENT({ annotation: 'off', label: 'yes', env: '1_000', arg: 'on' }));
  t.equal(r.code, 2, 'an input error exits 2');
  t.equal(r.stderr, '');
  const errors = r.stdout.split('\n').filter((line) => line.startsWith('error '));
  t.same(errors, [
    `error ${r.path}:7:35: metadata.annotations.kube-hygiene.io/pod-identity: kubectl reads off as the boolean false where a string is required; quote it: "off"`,
    `error ${r.path}:13:35: spec.template.metadata.labels.canary: kubectl reads yes as the boolean true where a string is required; quote it: "yes"`,
    `error ${r.path}:18:27: spec.template.spec.containers[0].args[1]: kubectl reads on as the boolean true where a string is required; quote it: "on"`,
    `error ${r.path}:21:22: spec.template.spec.containers[0].env[0].value: kubectl reads 1_000 as the number 1000 where a string is required; quote it: "1_000"`,
  ]);
  t.match(
    r.stdout,
    /checked 0 objects in 1 file: 0 denied, 0 warned, 4 input errors/,
    'kubectl sends none of it',
  );

  const json = JSON.parse(check('misread.json.yaml', NAMESPACE('off'), 'json').stdout);
  t.same(json.errors, [
    {
      source: `${join(dir, 'misread.json.yaml')}#0`,
      message: `${join(dir, 'misread.json.yaml')}:6:27: metadata.labels.kube-hygiene.io/mode: kubectl reads off as the boolean false where a string is required; quote it: "off"`,
    },
  ]);
});

t.test('the same values quoted pass', async (t) => {
  const quoted = DEPLOYMENT({ annotation: '"off"', label: "'yes'", env: '"1_000"', arg: '"on"' });
  const r = check('quoted.yaml', `${NAMESPACE('"off"')}---\n${quoted}`, 'json');
  t.equal(r.code, 0, r.stdout);
  const out = JSON.parse(r.stdout);
  t.same(out.errors, []);
  t.equal(out.summary.documents, 2);
  t.same(read(NAMESPACE('|-\n      off')).problems, [], 'a block scalar is a string too');
  t.same(read(NAMESPACE('!!str off')).problems, [], 'and so is an explicit !!str');
});

t.test('YAML 1.1 and 1.2 differences are read as kubectl reads them', async (t) => {
  const annotations = (value: string) =>
    messages(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    a: ${value}\n`);
  // YAML 1.2 (the yaml package) reads these as strings; kubectl's go-yaml v2 does not.
  for (const value of ['y', 'n', 'No', 'ON', '0o17', '0b101', '1_000', '08', '0x1F', '1e3'])
    t.match(annotations(value), [/^in\.yaml:6:8: metadata\.annotations\.a: kubectl reads /], value);
  // YAML 1.1 calls these a number (base 60) and a date; kubectl keeps them as text.
  for (const value of ['1:20', '2001-12-14', '1e999', 'nan', 'yes-please', '0xFFFFFFFFFFFFFFFFFF', '~'])
    t.same(annotations(value), [], value);
  t.match(annotations('.inf'), [/kubectl reads \.inf as an infinite number, which JSON cannot hold/]);

  const pod = read(`apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers: [{ name: a, image: "ghcr.io/a/b:v1.2.3", ports: [{ containerPort: 0x50 }] }]
  volumes: [{ name: v, configMap: { name: c, defaultMode: 0644 } }]
  nodeSelector: { disk: ssd }
`);
  t.same(pod.problems, [], 'numbers where the API wants numbers are fine');
  const spec = pod.objects[0]!.object.spec as { volumes: { configMap: { defaultMode: number } }[] };
  t.equal(spec.volumes[0]!.configMap.defaultMode, 0o644, '0644 is octal to kubectl, 644 to YAML 1.2');
  t.match(
    messages('apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec: { priority: .nan }\n'),
    [/^in\.yaml:4:19: spec\.priority: kubectl reads \.nan as not a number/],
    'a value JSON cannot hold is refused in any field',
  );
});

t.test('Lists, aliases, other documents and files only js-yaml reads', async (t) => {
  t.match(
    messages(
      `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: { name: s }\n    stringData: { port: 5432 }\n`,
    ),
    [/^in\.yaml:7:25: items\[0\]\.stringData\.port: kubectl reads 5432 as the number 5432/],
  );
  t.match(
    messages(
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels: { canary: &flag no }\nspec:\n  selector: { canary: *flag }\n`,
    ),
    [/^in\.yaml:5:27: metadata\.labels\.canary: /, /^in\.yaml:5:27: spec\.selector\.canary: /],
    'an alias is reported where the value to quote is written',
  );
  const mixed = read(`${NAMESPACE('off')}---\n${NAMESPACE('audit')}`);
  t.equal(mixed.problems.length, 1);
  t.equal(mixed.problems[0]!.source, 'in.yaml#0');
  t.same(
    mixed.objects.map((o) => o.source),
    ['in.yaml#1'],
    'the other document is still judged',
  );
  // A multi-line quoted scalar closed at its key's indentation: kubectl reads it, the yaml
  // package does not, so js-yaml reads the file (without line numbers).
  const lenient = read(
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    a: off\n    b: "multi\n    line\n  "\nspec:\n  containers: [{ name: a, image: b }]\n`,
  );
  t.same(
    lenient.problems.map((p) => p.message),
    [
      'in.yaml: metadata.annotations.a: kubectl reads off as the boolean false where a string is required; quote it: "off"',
    ],
  );
});

t.test('<< merge keys merge, as in kubectl', async (t) => {
  const { objects, problems } = read(`apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: { <<: &common { team: a, canary: off } }
spec:
  containers:
    - &base { name: a, image: "ghcr.io/a/b:v1.2.3" }
    - <<: *base
      name: b
`);
  t.same(objects, []);
  t.match(
    problems.map((p) => p.message),
    [/^in\.yaml:5:44: metadata\.labels\.canary: kubectl reads off as the boolean false/],
  );
  const [pod] = read(`apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - &base { name: a, image: "ghcr.io/a/b:v1.2.3" }
    - <<: *base
      name: b
`).objects;
  t.same((pod!.object.spec as { containers: unknown[] }).containers[1], {
    name: 'b',
    image: 'ghcr.io/a/b:v1.2.3',
  });
});

t.test('a document full of misread values gets a bounded report', async (t) => {
  const data = Array.from({ length: 25 }, (_, i) => `  k${i}: ${i + 1}`).join('\n');
  const found = messages(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\ndata:\n${data}\n`);
  t.equal(found.length, 21, 'twenty, then a count');
  t.equal(found[20], 'in.yaml:25:8: … and 5 more values kubectl would refuse');
  const [long] = messages(
    `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\ndata:\n  big: ${'9'.repeat(300)}\n`,
  );
  t.ok(long!.length < 300, 'a long number is cut short in the message');
  t.match(long, /kubectl reads 9{40}… as the number 1e\+300 where a string is required; quote it: "9{40}…"/);
});
