// `check -o json` and `-o junit`, and `test -o json|junit`, as CI systems read them: the real
// binary on real files; JUnit read back with a strict XML parser.
import t from 'tap';
import { deploymentYaml } from '../fixtures/manifests.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseXml, type XmlElement } from '../harness/xml.js';
import { readManifestText } from '../../src/cli/documents.js';
import { findingLocation } from '../../src/cli/check-locations.js';
import { checkJunit } from '../../src/cli/junit.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kh-formats-'));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const file = (name: string, text: string) => {
  mkdirSync(join(dir, name, '..'), { recursive: true });
  writeFileSync(join(dir, name), text);
  return name;
};

// Line 11: a denied image; line 14: a warned pull policy; line 16: an image whose text needs
// escaping in XML (quotes, <, &, a control character).
const POD = `apiVersion: v1
kind: Pod
metadata:
  name: side
  namespace: team
  annotations:
    note: x
spec:
  containers:
    - name: app
      image: nginx:latest
    - name: proxy
      image: ghcr.io/acme/proxy:v2.0.0
      imagePullPolicy: Never
    - name: evil
      image: "ghcr.io/acme/<b>&\\"q\\x01:v1"
`;
const GOOD = deploymentYaml({ namespace: 'team' });
// What `helm template` prints: each document under the template it came from.
const RENDERED = `---
# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:latest
---
# Source: shop/templates/jobs.yaml

apiVersion: v1
kind: List
items:
  - apiVersion: batch/v1
    kind: Job
    metadata: { name: migrate }
    spec:
      template:
        spec:
          containers: [{ name: m, image: "ghcr.io/acme/migrate:latest" }]
`;

interface JsonFinding {
  rule: string;
  action: string;
  path: string;
  file: string;
  line?: number;
  column?: number;
}
interface JsonResult {
  kind: string;
  name: string;
  helmSource?: string;
  findings: JsonFinding[];
}

t.test('json: every finding carries file, line and column; Helm output names its template', async (t) => {
  const r = cli(['check', '-o', 'json', file('pods/side.yaml', POD)]);
  t.equal(r.code, 1, r.stderr);
  const [pod] = JSON.parse(r.stdout).results as JsonResult[];
  const at = (pointer: string, rule: string) =>
    pod!.findings.find((f) => f.path === pointer && f.rule === rule);
  t.match(at('/spec/containers/0/image', 'image-tag'), {
    action: 'deny',
    file: 'pods/side.yaml',
    line: 11,
    column: 14,
  });
  t.match(at('/spec/containers/1/imagePullPolicy', 'image-pull-policy'), {
    action: 'warn',
    file: 'pods/side.yaml',
    line: 14,
    column: 24,
  });
  t.equal(pod!.helmSource, undefined, 'no Helm comment, no helmSource');

  const helm = cli(['check', '-o', 'json', '-'], RENDERED);
  t.equal(helm.code, 1, helm.stderr);
  const results = JSON.parse(helm.stdout).results as JsonResult[];
  t.same(
    results.map((x) => [x.kind, x.name, x.helmSource]),
    [
      ['Deployment', 'web', 'shop/templates/web.yaml'],
      ['Job', 'migrate', 'shop/templates/jobs.yaml'],
    ],
    'the template above each document, a blank line or not, and for each item of a List',
  );
  t.match(
    results[0]!.findings.find((f) => f.rule === 'image-tag'),
    { file: '-', line: 12, column: 18 },
  );
  t.match(
    results[1]!.findings.find((f) => f.rule === 'image-tag'),
    { file: '-', line: 25, column: 42 },
  );
});

t.test('a finding about something absent points at the nearest thing the file holds', async (t) => {
  const { objects } = readManifestText(POD, 'side.yaml');
  const result = { ...objects[0]!, kind: 'Pod', namespace: 'team', name: 'side', findings: [] };
  t.same(findingLocation(result, '/spec/containers/1/env'), { file: 'side.yaml', line: 12, column: 7 });
  t.same(findingLocation(result, '/spec/containers/1/env/0/value'), {
    file: 'side.yaml',
    line: 12,
    column: 7,
  });
  t.same(findingLocation(result, ''), { file: 'side.yaml', line: 1, column: 1 });

  // Through check, which keeps only the lines its findings need once a document is judged.
  const noImage =
    'apiVersion: v1\nkind: Pod\nmetadata: { name: p, namespace: team }\nspec:\n  containers:\n' +
    '    - name: app\n      resources: { requests: { cpu: 10m, memory: 32Mi } }\n';
  const [finding] = JSON.parse(cli(['check', '-o', 'json', file('no-image.yaml', noImage)]).stdout).results[0]
    .findings;
  t.match(finding, { rule: 'image-registry', path: '/spec/containers/0/image', line: 6, column: 7 });
});

const child = (e: XmlElement, tag: string) => e.children.filter((c) => c.tag === tag);

t.test('junit: one testcase per object, denials fail it, warnings are its output', async (t) => {
  file('app/good.yaml', GOOD);
  file('app/side.yaml', POD);
  file('app/broken.yaml', 'kind: Pod\nmetadata:\n  name: x\n  name: y\n');
  const r = cli(['check', '-o', 'junit', 'app']);
  t.equal(r.code, 2, 'an input error still exits 2');
  const root = parseXml(r.stdout);
  t.equal(root.tag, 'testsuites');
  t.match(root.attributes, { name: 'kube-hygiene check', tests: '3', failures: '1', errors: '1' });
  t.same(
    child(root, 'testsuite').map((s) => [s.attributes.name, s.attributes.tests, s.attributes.failures]),
    [
      ['app/broken.yaml', '1', '0'],
      ['app/good.yaml', '1', '0'],
      ['app/side.yaml', '1', '1'],
    ],
    'one suite per file',
  );
  const [broken, good, side] = child(root, 'testsuite').map((s) => child(s, 'testcase')[0]!);
  t.match(child(broken!, 'error')[0]?.attributes.message, /^app\/broken\.yaml:4:3: /);
  t.same(good!.attributes, { classname: 'Deployment/team', name: 'api', file: 'app/good.yaml', line: '1' });
  t.same(good!.children, [], 'a clean object passes');
  t.match(side!.attributes, { classname: 'Pod/team', name: 'side', file: 'app/side.yaml' });
  const [failure] = child(side!, 'failure');
  t.match(failure!.attributes.type, 'image-registry');
  t.match(failure!.attributes.message, /^\[image-[a-z]+\] container .* \(and 2 more\)$/);
  t.match(
    failure!.text,
    /^deny \[image-tag\] app\/side\.yaml:11:14 \/spec\/containers\/0\/image: container "app"/m,
  );
  t.match(
    failure!.text,
    /image "ghcr\.io\/acme\/<b>&"q\uFFFD:v1" is not a valid image reference/,
    'markup and quotes survive escaping; a character XML cannot hold is replaced',
  );
  t.match(child(side!, 'system-out')[0]?.text, /^warn \[image-pull-policy\] app\/side\.yaml:14:24 /m);
});

t.test('junit: when warnings fail the run, they are failures too', async (t) => {
  const [object] = readManifestText(POD, 'side.yaml').objects;
  const warning = {
    rule: 'image-pull-policy',
    action: 'warn' as const,
    path: '/spec/containers/1/imagePullPolicy',
    message: 'never pulled',
  };
  const result = { ...object!, kind: 'Pod', namespace: 'team', name: 'side', findings: [warning] };
  const report = {
    results: [result],
    errors: [],
    files: 1,
    notices: [],
    summary: { documents: 1, denied: 0, warned: 1, errors: 0, skipped: [] },
  };
  const quiet = child(child(parseXml(checkJunit(report)), 'testsuite')[0]!, 'testcase')[0]!;
  t.same(child(quiet, 'failure'), [], 'by default a warning fails nothing');
  t.match(child(quiet, 'system-out')[0]?.text, 'warn [image-pull-policy] side.yaml:14:24');
  const strict = child(
    child(parseXml(checkJunit(report, { warningsFail: true })), 'testsuite')[0]!,
    'testcase',
  )[0]!;
  t.match(child(strict, 'failure')[0]?.attributes, {
    type: 'image-pull-policy',
    message: '[image-pull-policy] never pulled',
  });
  t.same(child(strict, 'system-out'), []);
});

t.test('junit: Helm output is reported under its templates', async (t) => {
  const r = cli(['check', '-o', 'junit', '-'], RENDERED);
  t.equal(r.code, 1);
  const root = parseXml(r.stdout);
  t.same(
    child(root, 'testsuite').map((s) => s.attributes.name),
    ['shop/templates/web.yaml', 'shop/templates/jobs.yaml'],
  );
  const job = child(child(root, 'testsuite')[1]!, 'testcase')[0]!;
  t.same(job.attributes, { classname: 'Job/default', name: 'migrate', file: 'shop/templates/jobs.yaml' });
  t.match(child(job, 'failure')[0]?.text, /deny \[image-tag\] -:25:42 /, 'the rendered line, in the text');
});

t.test('test -o json and -o junit', async (t) => {
  const cases = file(
    'cases/mixed.test.yaml',
    [
      'cases:',
      '  - name: latest is fine (it is not)',
      '    object: { apiVersion: v1, kind: Pod, metadata: { name: p }, spec: { containers: [{ name: a, image: "ghcr.io/a/b:latest" }] } }',
      '    expect: { allowed: true }',
      '  - name: a release tag <passes> & is "fine"',
      '    object: { apiVersion: v1, kind: Pod, metadata: { name: p }, spec: { containers: [{ name: a, image: "ghcr.io/a/b:v1.2.3" }] } }',
      '    expect: { allowed: true }',
      '',
    ].join('\n'),
  );
  const json = cli(['test', '-o', 'json', cases]);
  t.equal(json.code, 1);
  const out = JSON.parse(json.stdout);
  t.same(out.summary, { cases: 2, passed: 1, failed: 1, errors: 0 });
  t.match(out.cases, [
    {
      file: cases,
      name: 'latest is fine (it is not)',
      passed: false,
      failures: [/expected allowed, got denied/],
    },
    { file: cases, name: 'a release tag <passes> & is "fine"', passed: true, failures: [] },
  ]);

  const junit = cli(['test', '-o', 'junit', cases]);
  t.equal(junit.code, 1);
  const root = parseXml(junit.stdout);
  t.match(root.attributes, { name: 'kube-hygiene test', tests: '2', failures: '1', errors: '0' });
  const [failed, passed] = child(child(root, 'testsuite')[0]!, 'testcase');
  t.match(child(failed!, 'failure')[0]?.attributes.message, /expected allowed, got denied/);
  t.same(passed!.attributes.name, 'a release tag <passes> & is "fine"');
  t.same(passed!.children, []);

  t.equal(cli(['test', '-o', 'sarif', cases]).code, 2, 'test has no SARIF form');
});
