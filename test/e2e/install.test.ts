// Scenario 9 against the real API server: the plain overlays (audit, enforce) as a fresh clone has
// them, with nothing generated, the others after certs-scripts/generate, and deploy/monitoring pass
// `kubectl apply --dry-run=server -k` (schemas, RBAC objects, webhook configurations, the
// CRD-backed kinds against their projects' real CRDs), and `kubectl apply -k` of audit, then
// enforce, from the fresh clone really creates the objects. The optional NetworkPolicy
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
const fresh = deployCopy({ certs: false });
const withCerts = deployCopy();
const overlays = readdirSync(join(REPO, 'deploy/overlays'));
/** Every overlay from the fresh clone, but provided certificates: that one needs generate first. */
const dirOf = (dir: string) =>
  dir === 'overlays/provided-certificates' ? join(withCerts, dir) : join(fresh, dir);

t.test('the CRDs the optional parts need: cert-manager and the Prometheus operator', async (t) => {
  await plane.installCrds([
    'cert-manager.io_certificates.yaml',
    'cert-manager.io_issuers.yaml',
    'monitoring.coreos.com_servicemonitors.yaml',
    'monitoring.coreos.com_prometheusrules.yaml',
  ]);
  t.pass('installed and established');
});

t.test('a dry run cannot create the namespace its other objects go to', async (t) => {
  // The API server checks that a namespaced object's namespace exists, dry run or not: on a
  // cluster without kube-hygiene's namespace, a dry run of an install fails on every object in
  // it (docs/install.md says to create the namespace first).
  const dry = await plane.kubectl(['apply', '--dry-run=server', '-k', join(fresh, 'overlays/audit')]);
  t.not(dry.code, 0);
  t.match(dry.stderr, /namespaces "kube-hygiene" not found/);
  t.equal((await plane.kubectl(['create', 'namespace', 'kube-hygiene'])).code, 0);
});

// The optional NetworkPolicy, added to the enforce overlay the way docs/install.md says.
const withNetworkPolicy = join(fresh, 'overlays/enforce-network-policy');
mkdirSync(withNetworkPolicy);
writeFileSync(
  join(withNetworkPolicy, 'kustomization.yaml'),
  `${readFileSync(join(fresh, 'overlays/enforce/kustomization.yaml'), 'utf8')}  - ../../components/network-policy\n`,
);

for (const dir of [
  ...overlays.map((o) => `overlays/${o}`),
  'overlays/enforce-network-policy',
  'monitoring',
]) {
  t.test(`kubectl apply --dry-run=server -k deploy/${dir} is accepted`, async (t) => {
    const dry = await plane.kubectl(['apply', '--dry-run=server', '-k', dirOf(dir)]);
    t.equal(dry.code, 0, dry.stderr);
    t.match(dry.stdout, /created \(server dry run\)/);
    t.equal(dry.stderr.replace(/^Warning: .*\n/gm, ''), '', 'no error output');
  });
}

t.test(
  'a fresh clone: kubectl apply -k deploy/overlays/audit, then enforce, creates the objects',
  async (t) => {
    for (const overlay of ['audit', 'enforce'] as const) {
      const applied = await plane.kubectl(['apply', '-k', join(fresh, 'overlays', overlay)]);
      t.equal(applied.code, 0, `${overlay}: ${applied.stderr}`);
      const listed = await plane.kubectl([
        'get',
        '-n',
        'kube-hygiene',
        'deployment/kube-hygiene',
        'service/kube-hygiene',
        'configmap/kube-hygiene-policy',
        'serviceaccount/kube-hygiene',
        'poddisruptionbudget/kube-hygiene',
        'secret/kube-hygiene-managed-tls',
        'lease/kube-hygiene-certificates',
        'role/kube-hygiene-certificates',
        'rolebinding/kube-hygiene-certificates',
        '-o',
        'name',
      ]);
      t.equal(listed.code, 0, listed.stderr);
      t.equal(listed.stdout.trim().split('\n').length, 9, listed.stdout);
      const hooks = await plane.kubectl([
        'get',
        'validatingwebhookconfiguration/kube-hygiene',
        'mutatingwebhookconfiguration/kube-hygiene',
        '-o',
        'jsonpath={range .items[*].webhooks[*]}{.name} {.failurePolicy} [{.clientConfig.caBundle}]{"\\n"}{end}',
      ]);
      t.equal(hooks.code, 0, hooks.stderr);
      t.same(
        hooks.stdout.trim().split('\n').sort(),
        [
          'audit.kube-hygiene.io Ignore []',
          'mutate.kube-hygiene.io Ignore []',
          `validate.kube-hygiene.io ${overlay === 'enforce' ? 'Fail' : 'Ignore'} []`,
          'warn.kube-hygiene.io Ignore []',
        ],
        `${overlay}: only enforce's validate webhook fails closed; no caBundle until the server writes it`,
      );
    }
  },
);
