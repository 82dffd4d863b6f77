// Scenario 6, and the API-server restart of scenario 8, against the real API server: an HPA
// whose target does not exist gets our warning on `kubectl apply`; deleting a Deployment an HPA
// scales warns which HPA is left behind; after the API server restarts under a running
// kube-hygiene, its cluster view recovers by itself and hpa-target answers correctly again.
import t from 'tap';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../harness/control-plane/control-plane.js';
import { OFFLINE_POLICY, startKubeHygiene } from '../harness/control-plane/kube-hygiene.js';
import { REPO } from '../harness/server-process.js';
import { warningLines } from './kubectl-output.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers and timeouts.
t.setTimeout(300_000);

const ORPHANS = join(REPO, 'test/e2e/manifests/orphans.yaml');
const plane = await startControlPlane();
t.teardown(() => plane.stop());
const hygiene = await startKubeHygiene(plane, { overlay: 'enforce', policy: OFFLINE_POLICY });
t.teardown(() => hygiene.stop());
await plane.kubectl(['create', 'namespace', 'homelab']);

const hpaFor = (name: string, target: string) =>
  JSON.stringify({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: 'homelab' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, maxReplicas: 2 },
  });
const MISSING =
  /^\[hpa-target\] HPA (homelab\/)?\S+ scales Deployment \S+, which does not exist in namespace homelab/;

async function hpaWarnings(plane: ControlPlane, name: string, target: string) {
  const applied = await plane.kubectl(['apply', '-f', '-'], { input: hpaFor(name, target) });
  if (applied.code !== 0) throw new Error(applied.stderr);
  return warningLines(applied).filter((w) => w.startsWith('[hpa-target]'));
}

t.test('kubectl apply of an HPA whose target does not exist prints our warning', async (t) => {
  const warnings = await hpaWarnings(plane, 'ghost-hpa', 'ghost');
  t.equal(warnings.length, 1, warnings.join('\n'));
  t.match(warnings[0], MISSING);
  t.match(warnings[0], 'Deployment ghost');
  t.equal(
    (await plane.kubectl(['get', 'hpa', 'ghost-hpa', '-n', 'homelab'])).code,
    0,
    'a warning, not a denial: stored',
  );
});

t.test('kubectl delete deployment prints the warning naming the HPA left behind', async (t) => {
  const created = await plane.kubectl(['apply', '-n', 'homelab', '-f', ORPHANS]);
  t.equal(created.code, 0, created.stderr);
  t.same(
    warningLines(created).filter((w) => w.startsWith('[hpa-target]')),
    [],
    'the HPA and its Deployment, applied together: no warning',
  );
  const deleted = await plane.kubectl(['delete', 'deployment', 'whisper', '-n', 'homelab']);
  t.equal(deleted.code, 0, deleted.stderr);
  t.same(warningLines(deleted), [
    '[hpa-target] HPA homelab/whisper-hpa will be left targeting nothing: delete it too',
  ]);
});

t.test(
  'after the API server restarts, the cluster view recovers and hpa-target is right again',
  async (t) => {
    await plane.stopApiServer();
    await plane.startApiServer();
    // A Deployment made after the restart: hpa-target knows it only once its watch is back.
    const web = await plane.kubectl([
      'create',
      'deployment',
      'web',
      '-n',
      'homelab',
      '--image=ghcr.io/acme/web:v1.4.2',
    ]);
    t.equal(web.code, 0, web.stderr);
    let warnings: string[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
      warnings = await hpaWarnings(plane, 'web-hpa', 'web');
      if (warnings.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    t.same(warnings, [], 'an HPA for the new Deployment gets no warning: the view saw it');
    t.match((await hpaWarnings(plane, 'gone-hpa', 'gone'))[0], MISSING, 'and a missing target still warns');
  },
);
