// Scenario 9 against the real API server: every overlay in deploy/ (after certs-scripts/generate)
// and deploy/monitoring pass `kubectl apply --dry-run=server -k` (schemas, RBAC objects, webhook
// configurations, the CRD-backed kinds against their projects' real CRDs), and
// `kubectl apply -k deploy/overlays/audit` really creates the objects. The optional NetworkPolicy
// component is dry-run too, added to the enforce overlay.
import t from 'tap';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { deployCopy } from '../deploy/render.js';
import { REPO } from '../harness/server-process.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers and timeouts.
t.setTimeout(300_000);

const plane = await startControlPlane();
t.teardown(() => plane.stop());
const deploy = deployCopy();
const overlays = readdirSync(join(REPO, 'deploy/overlays'));

t.test('the CRDs the optional parts need: cert-manager and the Prometheus operator', async (t) => {
  for (const crd of [
    'cert-manager.io_certificates.yaml',
    'cert-manager.io_issuers.yaml',
    'monitoring.coreos.com_servicemonitors.yaml',
    'monitoring.coreos.com_prometheusrules.yaml',
  ]) {
    const applied = await plane.kubectl(['apply', '--server-side', '-f', join(plane.binaries.crds, crd)]);
    t.equal(applied.code, 0, `${crd}: ${applied.stderr}`);
  }
  const established = await plane.kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd',
    '--all',
  ]);
  t.equal(established.code, 0, established.stderr);
});

t.test('a dry run cannot create the namespace its other objects go to', async (t) => {
  // The API server checks that a namespaced object's namespace exists, dry run or not: on a
  // cluster without kube-hygiene's namespace, a dry run of an install fails on every object in
  // it (docs/install.md says to create the namespace first).
  const fresh = await plane.kubectl(['apply', '--dry-run=server', '-k', join(deploy, 'overlays/audit')]);
  t.not(fresh.code, 0);
  t.match(fresh.stderr, /namespaces "kube-hygiene" not found/);
  t.equal((await plane.kubectl(['create', 'namespace', 'kube-hygiene'])).code, 0);
});

// The optional NetworkPolicy, added to the enforce overlay the way docs/install.md says.
const withNetworkPolicy = join(deploy, 'overlays/enforce-network-policy');
mkdirSync(withNetworkPolicy);
writeFileSync(
  join(withNetworkPolicy, 'kustomization.yaml'),
  `${readFileSync(join(deploy, 'overlays/enforce/kustomization.yaml'), 'utf8')}  - ../../components/network-policy\n`,
);

for (const dir of [
  ...overlays.map((o) => `overlays/${o}`),
  'overlays/enforce-network-policy',
  'monitoring',
]) {
  t.test(`kubectl apply --dry-run=server -k deploy/${dir} is accepted`, async (t) => {
    const dry = await plane.kubectl(['apply', '--dry-run=server', '-k', join(deploy, dir)]);
    t.equal(dry.code, 0, dry.stderr);
    t.match(dry.stdout, /created \(server dry run\)/);
    t.equal(dry.stderr.replace(/^Warning: .*\n/gm, ''), '', 'no error output');
  });
}

t.test('kubectl apply -k deploy/overlays/audit creates the objects', async (t) => {
  const applied = await plane.kubectl(['apply', '-k', join(deploy, 'overlays/audit')]);
  t.equal(applied.code, 0, applied.stderr);
  const listed = await plane.kubectl([
    'get',
    '-n',
    'kube-hygiene',
    'deployment/kube-hygiene',
    'service/kube-hygiene',
    'configmap/kube-hygiene-policy',
    'serviceaccount/kube-hygiene',
    'poddisruptionbudget/kube-hygiene',
    '-o',
    'name',
  ]);
  t.equal(listed.code, 0, listed.stderr);
  t.equal(listed.stdout.trim().split('\n').length, 5, listed.stdout);
  const hooks = await plane.kubectl([
    'get',
    'validatingwebhookconfiguration/kube-hygiene',
    'mutatingwebhookconfiguration/kube-hygiene',
    '-o',
    'jsonpath={range .items[*].webhooks[*]}{.name} {.failurePolicy} {.clientConfig.caBundle}{"\\n"}{end}',
  ]);
  t.equal(hooks.code, 0, hooks.stderr);
  const lines = hooks.stdout.trim().split('\n');
  t.same(lines.map((l) => l.split(' ')[0]).sort(), [
    'audit.kube-hygiene.io',
    'mutate.kube-hygiene.io',
    'validate.kube-hygiene.io',
    'warn.kube-hygiene.io',
  ]);
  for (const line of lines) t.match(line, /^\S+ Ignore \S{100,}$/, 'audit fails open, with a CA bundle');
});
