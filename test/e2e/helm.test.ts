// Scenario 7 against the real API server: helm's writes go through the same webhooks. A chart
// with an unqualified `:latest` image is refused with our message on `helm upgrade --install`
// and on `helm install --dry-run=server`; the clean chart installs.
import t from 'tap';
import { join } from 'node:path';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { OFFLINE_POLICY, startKubeHygiene } from '../harness/control-plane/kube-hygiene.js';
import { REPO } from '../harness/server-process.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers and timeouts.
t.setTimeout(300_000);

const CHART = join(REPO, 'test/e2e/charts/web');
const plane = await startControlPlane();
t.teardown(() => plane.stop());
const hygiene = await startKubeHygiene(plane, { overlay: 'enforce', policy: OFFLINE_POLICY });
t.teardown(() => hygiene.stop());
await plane.kubectl(['create', 'namespace', 'shop']);

const OUR_DENIAL =
  /admission webhook "validate\.kube-hygiene\.io" denied the request: kube-hygiene denied Deployment shop\/bad: 2 violations\n- \[image-registry\] container "web" image "nginx:latest" names no registry: [^\n]+\n- \[image-tag\] container "web" image "nginx:latest" has a mutable tag/;

t.test('helm upgrade --install of a chart with nginx:latest is refused with our message', async (t) => {
  const upgrade = await plane.helm([
    'upgrade',
    '--install',
    'bad',
    CHART,
    '-n',
    'shop',
    '--set',
    'image=nginx:latest',
  ]);
  t.not(upgrade.code, 0, 'helm fails');
  t.match(upgrade.stderr, OUR_DENIAL);
  t.equal((await plane.kubectl(['get', 'deployment', 'bad', '-n', 'shop'])).code, 1, 'no Deployment stored');
});

t.test(
  'helm install --dry-run=server never reaches admission; helm template | kubectl apply --dry-run=server does',
  async (t) => {
    // Helm 3's server dry run only lets templates look objects up: it sends nothing to be
    // admitted, so it passes whatever the webhooks would say. docs/e2e.md and the README say so.
    const helmDry = await plane.helm([
      'install',
      'bad',
      CHART,
      '-n',
      'shop',
      '--dry-run=server',
      '--set',
      'image=nginx:latest',
    ]);
    t.equal(helmDry.code, 0, 'helm reports success');
    t.match(helmDry.stdout, /image: "nginx:latest"/, 'and prints the manifest it never submitted');
    const rendered = await plane.helm([
      'template',
      'bad',
      CHART,
      '-n',
      'shop',
      '--set',
      'image=nginx:latest',
    ]);
    t.equal(rendered.code, 0, rendered.stderr);
    const dry = await plane.kubectl(['apply', '--dry-run=server', '-n', 'shop', '-f', '-'], {
      input: rendered.stdout,
    });
    t.not(dry.code, 0, 'the policy test that works: refused');
    t.match(dry.stderr, OUR_DENIAL);
  },
);

t.test('the clean chart installs, and helm lists it deployed', async (t) => {
  const install = await plane.helm(['install', 'good', CHART, '-n', 'shop', '--wait=false']);
  t.equal(install.code, 0, install.stderr);
  t.match(install.stdout, /STATUS: deployed/);
  const stored = await plane.kubectl([
    'get',
    'deployment',
    'good',
    '-n',
    'shop',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  ]);
  t.equal(stored.stdout, 'ghcr.io/acme/web:v1.4.2');
});
