// Scenario 5 against the real API server with kube-controller-manager: a Deployment admitted
// while its namespace was in audit is scaled up after enforce is on. The ReplicaSet controller's
// pods are created (judged, never denied), carry the injected env and the arch placement, and
// the warnings recorded for them name the Deployment a person has to fix.
import t from 'tap';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { registryPolicy, startKubeHygiene } from '../harness/control-plane/kube-hygiene.js';
import { AuthMode, startSeededRegistry } from '../harness/registry/registries.js';
import { seedImages } from '../harness/registry/seed.js';
import { eventually } from '../harness/eventually.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers and timeouts.
t.setTimeout(300_000);

const seeded = seedImages();
const amd64only = seeded.find((i) => i.repo === 'amd64only')!;
const registry = await startSeededRegistry(AuthMode.plain, [...seeded, { ...amd64only, tag: 'fixed-final' }]);
t.teardown(() => registry.stop());
const host = registry.registry.host;
const plane = await startControlPlane();
t.teardown(() => plane.stop());
const hygiene = await startKubeHygiene(plane, { overlay: 'enforce', policy: registryPolicy(host) });
t.teardown(() => hygiene.stop());

interface Pod {
  metadata: { name: string };
  spec: { nodeSelector?: Record<string, string>; containers: { name: string; env?: { name: string }[] }[] };
}

t.test(
  'scaling a legacy Deployment after enforce is on: its pods are created, mutated and named',
  async (t) => {
    await plane.kubectl(['create', 'namespace', 'legacy']);
    await plane.kubectl(['label', 'namespace', 'legacy', 'kube-hygiene.io/mode=audit']);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'legacy-app', namespace: 'legacy' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'legacy-app' } },
        template: {
          metadata: { labels: { app: 'legacy-app' } },
          spec: {
            containers: [
              { name: 'app', image: `${host}/amd64only:fixed-final` },
              { name: 'log-shipper', image: `${host}/multi:v1.0.0` },
            ],
          },
        },
      },
    };
    const admitted = await plane.kubectl(['apply', '-f', '-'], { input: JSON.stringify(deployment) });
    t.equal(admitted.code, 0, 'admitted while the namespace is in audit');
    t.match(admitted.stderr, /Warning: \[image-tag\] not denied \(audit mode\)/);

    const podCount = async () => {
      const listed = await plane.kubectl([
        'get',
        'pods',
        '-n',
        'legacy',
        '-l',
        'app=legacy-app',
        '-o',
        'json',
      ]);
      pods = (JSON.parse(listed.stdout || '{"items":[]}') as { items: Pod[] }).items;
      return pods.length;
    };
    let pods: Pod[] = [];
    await eventually(async () => (await podCount()) === 1, 60_000, 'the first pod, made while in audit');

    const enforced = await plane.kubectl(['label', 'namespace', 'legacy', 'kube-hygiene.io/mode-']);
    t.equal(enforced.code, 0, enforced.stderr);
    // The namespace label reaches kube-hygiene through its watch: the same Deployment is now denied.
    await eventually(
      async () =>
        (
          await plane.kubectl(['apply', '--dry-run=server', '-f', '-'], {
            input: JSON.stringify({ ...deployment, metadata: { ...deployment.metadata, name: 'new-app' } }),
          })
        ).code !== 0,
      20_000,
      'enforce in namespace legacy',
    );

    const scaled = await plane.kubectl(['scale', 'deployment', 'legacy-app', '-n', 'legacy', '--replicas=3']);
    t.equal(scaled.code, 0, scaled.stderr);
    await eventually(
      async () => (await podCount()) === 3,
      60_000,
      'three pods from the ReplicaSet controller',
    );
    for (const pod of pods) {
      t.same(
        pod.spec.nodeSelector,
        { 'kubernetes.io/arch': 'amd64' },
        `${pod.metadata.name}: arch placement`,
      );
      t.same(
        pod.spec.containers.find((c) => c.name === 'log-shipper')?.env?.map((e) => e.name),
        ['POD_NAME', 'POD_NAMESPACE'],
        `${pod.metadata.name}: sidecar env`,
      );
    }

    const byController = plane
      .auditEvents()
      .filter(
        (e) =>
          e.verb === 'create' &&
          e.objectRef?.resource === 'pods' &&
          e.objectRef.namespace === 'legacy' &&
          e.user.username === 'system:serviceaccount:kube-system:replicaset-controller',
      );
    t.equal(byController.length, 3, 'the ReplicaSet controller created every pod (none refused)');
    t.same(
      byController.map((e) => e.responseStatus?.code),
      [201, 201, 201],
    );
    // Audit keys are per webhook: the controller's pods reach warn.kube-hygiene.io, and
    // audit.kube-hygiene.io while the namespace was in audit mode (docs/adr/050).
    const annotated = (webhook: string) =>
      byController.flatMap((e) =>
        (JSON.parse(e.annotations?.[`${webhook}/image-tag`] ?? '[]') as { message: string }[]).map(
          (f) => f.message,
        ),
      );
    t.same(annotated('validate.kube-hygiene.io'), [], 'never the webhook that fails closed');
    const messages = [...annotated('warn.kube-hygiene.io'), ...annotated('audit.kube-hygiene.io')];
    const named =
      /^not denied \(created by replicaset-controller; fix Deployment legacy-app\): container "app" image "[^"]+\/amd64only:fixed-final" has a sprawl tag/;
    t.equal(
      messages.filter((m) => named.test(m)).length,
      2,
      'the two pods made under enforce: the warning names the Deployment to fix',
    );
    t.equal(
      messages.filter((m) => m.startsWith('not denied (audit mode)')).length,
      1,
      'the one made in audit says so',
    );
    t.ok(
      annotated('audit.kube-hygiene.io').every((m) => m.startsWith('not denied (audit mode)')),
      'and was judged by audit.kube-hygiene.io',
    );
  },
);
