// `kube-hygiene check` as a CI step trusts it: an input with nothing to judge is never a pass,
// charts and kustomizations say how to render them, and what is exempt says so.
// The real binary, real files and directories, exit codes and output.
import t from 'tap';
import { deploymentYaml } from '../fixtures/manifests.js';
import { runCliSync, scratch } from '../harness/cli-process.js';
import { join } from 'node:path';

const { root, file, dir } = scratch('kh-false-green-');
const cli = runCliSync;

const GOOD = deploymentYaml();
const LATEST = GOOD.replace('v1.4.2', 'latest');

t.test('empty stdin (a failed helm template) exits 2 and says what was read', async (t) => {
  const r = cli(['check', '-']);
  t.equal(r.code, 2);
  t.match(
    r.stdout,
    /^error no Kubernetes object to judge: read 0 bytes from stdin \(did the command before the pipe fail\?\)/m,
  );
  t.match(r.stdout, /--allow-empty/);
  t.equal(cli(['check', '--allow-empty', '-']).code, 0, '--allow-empty lets an empty input pass');
  const comments = cli(['check', '-'], '# Source: chart/templates/x.yaml\n---\n');
  t.equal(comments.code, 2);
  t.match(comments.stdout, /read 37 bytes from stdin, none of it a Kubernetes object/);
});

t.test('an empty directory and a directory of non-manifests exit 2', async (t) => {
  const empty = cli(['check', dir('empty')]);
  t.equal(empty.code, 2);
  t.match(empty.stdout, /empty holds no \*\.yaml, \*\.yml or \*\.json file/);

  file('config/values.yaml', 'replicas: 3\nimage: { repository: nginx }\n');
  file('config/dashboard.json', JSON.stringify({ title: 'API', panels: [] }));
  file('config/notes.txt', 'not read at all');
  const config = cli(['check', join(root, 'config')]);
  t.equal(config.code, 2);
  t.match(
    config.stdout,
    /config: 2 files, none a Kubernetes object \(2 documents skipped: --verbose lists them\)/,
  );
  t.match(config.stdout, /checked 0 objects in 2 files/);
  t.notMatch(config.stdout, /^skipped /m, 'the skipped documents are listed only under --verbose');
  const verbose = cli(['check', '--verbose', join(root, 'config')]);
  t.match(
    verbose.stdout,
    /^skipped .*config\/dashboard\.json#0: not a Kubernetes object \(no apiVersion or kind\)$/m,
  );
  t.match(
    verbose.stdout,
    /^skipped .*config\/values\.yaml#0: not a Kubernetes object \(no apiVersion or kind\)$/m,
  );

  const mixed = cli(['check', '-o', 'json', join(root, 'config'), file('config-app.yaml', GOOD)]);
  t.equal(mixed.code, 0, 'non-objects beside an object are skipped, not errors');
  t.equal(JSON.parse(mixed.stdout).summary.documents, 1, 'values.yaml and the dashboard are not counted');
});

t.test('a binary file named .yaml is an error, never a pass', async (t) => {
  const binary = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x10, 0x61, 0x3a, 0x0a]);
  const path = file('blob.yaml', binary);
  const r = cli(['check', path]);
  t.equal(r.code, 2);
  t.match(
    r.stdout,
    new RegExp(`^error ${path}: not text \\(a NUL byte at byte 7\\), which kubectl cannot read$`, 'm'),
  );
  t.equal(r.stderr, '');
});

const CHART = {
  'Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 0.1.0\n',
  'values.yaml': 'image: { repository: ghcr.io/acme/shop, tag: v1.0.0 }\nname: shop\n',
  'templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Values.name }}
  labels:
    {{- include "shop.labels" . | nindent 4 }}
spec:
  template:
    spec:
      containers:
        - name: shop
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
`,
};

t.test('an unrendered Helm chart is named with the command that renders it', async (t) => {
  for (const [name, text] of Object.entries(CHART)) file(`charts/shop/${name}`, text);
  const chart = join(root, 'charts/shop');
  const r = cli(['check', chart]);
  t.equal(r.code, 2, 'nothing else was judged');
  t.match(
    r.stdout,
    `note ${chart} is a Helm chart: its templates are not judged until rendered: helm template RELEASE ${chart} | kube-hygiene check -`,
  );
  t.match(r.stdout, /no Kubernetes object to judge: .*shop is a Helm chart, not rendered/);
  t.notMatch(r.stdout, /object Object|Deployment/);
  t.equal(r.stderr, '', 'no Node warning');

  const viaFile = cli(['check', join(chart, 'Chart.yaml')]);
  t.match(
    viaFile.stdout,
    `helm template RELEASE ${chart} | kube-hygiene check -`,
    'Chart.yaml names its chart',
  );

  const template = cli(['check', join(chart, 'templates/deployment.yaml')]);
  t.equal(template.code, 2, 'a template named on its own is not judged either');
  t.match(template.stdout, `helm template RELEASE ${chart} | kube-hygiene check -`);
  t.notMatch(template.stdout, /Block collections|object Object/);

  const beside = cli(['check', join(root, 'charts'), file('charts-app.yaml', GOOD)]);
  t.equal(beside.code, 0, 'a chart beside judged manifests is a note, not an error');
  t.match(beside.stdout, /is a Helm chart/);
  t.match(beside.stdout, /checked 1 object in 1 file/);
});

t.test('a kustomization is named with kubectl kustomize', async (t) => {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    const base = join(root, `kustomize-${name}`);
    file(
      `kustomize-${name}/${name}`,
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [app.yaml]\n',
    );
    file(`kustomize-${name}/app.yaml`, LATEST);
    file(`kustomize-${name}/patch.yaml`, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api }\n');
    const r = cli(['check', base]);
    t.equal(r.code, 2, `${name}: nothing judged`);
    t.match(r.stdout, `kubectl kustomize ${base} | kube-hygiene check -`, name);
    t.notMatch(r.stdout, /deny/, `${name}: resources and patches are not judged one by one`);
  }
  const loose = cli(
    ['check', '-v', '-'],
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n',
  );
  t.equal(loose.code, 2);
  t.match(loose.stdout, /skipped -#0: a Kustomization for kustomize, not a Kubernetes object/);
});

t.test('a name that is not a string is an error at its line, never [object Object]', async (t) => {
  const path = file(
    'template-like.yaml',
    `${GOOD}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: { .Values.name: null }\n`,
  );
  const r = cli(['check', path]);
  t.equal(r.code, 2);
  t.match(
    r.stdout,
    new RegExp(
      `^error ${path}:15:9: metadata\\.name is a mapping, not a string \\(an unrendered template\\?`,
      'm',
    ),
  );
  t.notMatch(r.stdout, /object Object/);
  const key = cli(
    ['check', '-'],
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  ? { include: x }\n  : 1\n',
  );
  t.equal(key.code, 2);
  t.match(key.stdout, /^error -:5:5: a mapping or list used as a key, which kubectl cannot read/m);
  t.equal(key.stderr, '', 'no Node warning');
});
