// `kube-hygiene check` as a CI step trusts it: namespaces as the cluster would give them, exempt
// objects shown as exempt, warnings that can fail the step, findings in file order, usage errors.
// The real binary, real files and directories, exit codes and output.
import t from 'tap';
import { deploymentYaml } from '../fixtures/manifests.js';
import { runCliSync, scratch } from '../harness/cli-process.js';

const { file } = scratch('kh-check-judging-');
const cli = runCliSync;

const GOOD = deploymentYaml();
const LATEST = GOOD.replace('v1.4.2', 'latest');

t.test('-n gives objects without a namespace one, and exempt objects say so', async (t) => {
  const path = file('ns/app.yaml', LATEST);
  const plain = cli(['check', path]);
  t.equal(plain.code, 1, 'judged in the default namespace');
  t.match(plain.stdout, /Deployment default\/api #0/);
  const exempt = cli(['check', '-n', 'kube-system', path]);
  t.equal(exempt.code, 0);
  t.match(exempt.stdout, /^ {2}Deployment kube-system\/api #0 exempt: namespace kube-system is exempt$/m);
  t.match(exempt.stdout, /checked 1 object in 1 file: 0 denied, 0 warned, 1 exempt/);
  const json = JSON.parse(cli(['check', '-o', 'json', '--namespace', 'kube-system', path]).stdout);
  t.match(json.results[0], {
    namespace: 'kube-system',
    exempt: 'namespace kube-system is exempt',
    findings: [],
  });
  const own = cli([
    'check',
    '-n',
    'kube-system',
    file('ns/own.yaml', LATEST.replace('name: api', 'name: api, namespace: shop')),
  ]);
  t.equal(own.code, 1, 'an object that names its namespace keeps it');
  t.equal(cli(['check', '-n', 'Not_A_Namespace', path]).code, 2);

  const labelled = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: { kube-hygiene.io/mode: "off" }\n---\n${LATEST}`;
  const off = cli(['check', '-n', 'shop', '-'], labelled);
  t.equal(off.code, 0, 'a Namespace in the input with mode off applies to the objects after it');
  t.match(off.stdout, /^ {2}Deployment shop\/api #1 exempt: namespace shop has mode off$/m);

  // Cluster-scoped kinds are in no namespace, whatever -n or their metadata say: not exempt.
  const clusterScoped =
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n---\n' +
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: kube-system\nrules: []\n';
  const scoped = cli(['check', '-n', 'kube-system', '-o', 'json', '-'], clusterScoped);
  t.equal(scoped.code, 0, scoped.stderr);
  t.match(JSON.parse(scoped.stdout).results, [
    { kind: 'Namespace', namespace: '', name: 'team-a', exempt: undefined },
    { kind: 'ClusterRole', namespace: '', name: 'reader', exempt: undefined },
  ]);
  t.match(cli(['check', '-n', 'kube-system', '-'], clusterScoped).stdout, /0 denied, 0 warned;/);
});

t.test('--fail-on warn fails on warnings; audit mode still exits 0', async (t) => {
  const path = file(
    'warn/never.yaml',
    GOOD.replace(
      'image: ghcr.io/acme/api:v1.4.2',
      'image: ghcr.io/acme/api:v1.4.2\n          imagePullPolicy: Never',
    ),
  );
  const plain = cli(['check', path]);
  t.equal(plain.code, 0, 'warnings pass by default');
  t.match(plain.stdout, /warn \[image-pull-policy\]/);
  t.equal(cli(['check', '--fail-on', 'deny', path]).code, 0);
  t.equal(cli(['check', '--fail-on', 'warn', path]).code, 1, 'a warning fails');
  t.equal(cli(['check', '--fail-on', 'warn', '--mode', 'audit', file('warn/latest.yaml', LATEST)]).code, 0);
  t.equal(cli(['check', '--mode', 'audit', file('warn/latest2.yaml', LATEST)]).code, 0);
  const bad = cli(['check', '--fail-on', 'info', path]);
  t.equal(bad.code, 2);
  t.match(
    bad.stderr,
    /^kube-hygiene check: --fail-on must be one of deny, warn, got "info"\n\nusage: kube-hygiene check/,
  );
});

t.test('an invalid image reference is denied whatever rule is off', async (t) => {
  // resource-requests is off too: this is about image references alone.
  const policy = file(
    'policy/registry-off.yaml',
    'rules:\n  image-registry:\n    action: off\n  resource-requests:\n    action: off\n',
  );
  const registryOn = file('policy/registry-on.yaml', 'rules:\n  resource-requests:\n    action: off\n');
  const pod = `apiVersion: v1\nkind: Pod\nmetadata: { name: p, namespace: team }\nspec:\n  containers:\n    - name: app\n      image: ghcr.io/Acme/app:v1.2.3\n`;
  const r = cli(['check', '--policy', policy, '-o', 'json', '-'], pod);
  t.equal(r.code, 1);
  const [finding, ...rest] = JSON.parse(r.stdout).results[0].findings;
  t.same(rest, []);
  t.match(finding, {
    rule: 'image-reference',
    action: 'deny',
    path: '/spec/containers/0/image',
    message:
      /container "app" image "ghcr\.io\/Acme\/app:v1\.2\.3" is not a valid image reference \(repository name .* must be lower case\), so the kubelet would fail with InvalidImageName/,
  });
  const on = JSON.parse(cli(['check', '--policy', registryOn, '-o', 'json', '-'], pod).stdout).results[0]
    .findings;
  t.same(
    on.map((f: { rule: string }) => f.rule),
    ['image-registry'],
    'with image-registry on, its own finding alone',
  );

  // The server's answer, through the handler its routes call.
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '5f6c1f7e-0000-4000-8000-000000000001',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'team',
      operation: 'CREATE',
      userInfo: { username: 'dev' },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'team' },
        spec: { containers: [{ name: 'app', image: 'ghcr.io/Acme/app:v1.2.3' }] },
      },
    },
  };
  const served = cli(['review', '--policy', policy, '-'], JSON.stringify(review));
  t.equal(served.code, 1, 'denied');
  t.match(
    JSON.parse(served.stdout).response.status.message,
    /\[image-reference\] container "app" image "ghcr\.io\/Acme\/app:v1\.2\.3" is not a valid image reference/,
  );
});

t.test('findings are listed in file order, line numbers right across documents', async (t) => {
  const text = `# Source: shop/templates/a.yaml
---
${GOOD}---
# Source: shop/templates/b.yaml
apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - name: app
      image: nginx:latest
  initContainers:
    - name: init
      image: busybox:1.36
`;
  // Image findings only: resource-requests would also point at each container above its image.
  const images = file('policy/images-only.yaml', 'rules:\n  resource-requests:\n    action: off\n');
  const r = cli(['check', '--policy', images, '-'], text);
  t.equal(r.code, 1);
  const lines = [...r.stdout.matchAll(/line (\d+):\d+/g)].map((m) => Number(m[1]));
  t.same(
    lines,
    [...lines].sort((a, b) => a - b),
    `lines run forwards: ${lines.join(', ')}`,
  );
  t.equal(lines[0], 21, "the first container's image, on line 21 of the stream");
  t.equal(lines.at(-1), 24, "the init container's image, below it");
  t.match(r.stdout, /^-\n {2}Pod default\/p #1$/m, 'the second document of the stream');
});
