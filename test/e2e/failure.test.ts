// Scenario 8 against the real API server: what a cluster gets when kube-hygiene is down or too
// slow. Under the enforce install only validate.kube-hygiene.io fails closed (failurePolicy Fail:
// the API server refuses a person's write and names our webhook); deletes, HPA edits, writes by
// the controller manager, updates that leave the pod template alone and namespaces in audit mode
// go through (warn.kube-hygiene.io and audit.kube-hygiene.io fail open). The audit install fails
// open everywhere. "Too slow" is the real process stopped with SIGSTOP, so the API server's own
// timeoutSeconds decides. While it is up, every request is judged by exactly one webhook.
import t from 'tap';
import { startControlPlane, type AuditEvent } from '../harness/control-plane/control-plane.js';
import { OFFLINE_POLICY, startKubeHygiene, type KubeHygiene } from '../harness/control-plane/kube-hygiene.js';
import { eventually } from '../harness/eventually.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers and timeouts.
t.setTimeout(300_000);

const plane = await startControlPlane();
t.teardown(() => plane.stop());
await plane.kubectl(['create', 'namespace', 'shop']);

let n = 0;
/** A clean Deployment every rule passes: only the webhook's availability decides. */
const cleanDeployment = () =>
  plane.kubectl(['create', 'deployment', `web-${++n}`, '-n', 'shop', '--image=ghcr.io/acme/web:v1.4.2']);

const deployment = (namespace: string, name: string, image: string, extra: object = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace, ...extra },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      // imagePullPolicy Never: an image-pull-policy warning on every judged write, so the audit
      // log shows which webhook judged it.
      spec: { containers: [{ name: 'app', image, imagePullPolicy: 'Never' }] },
    },
  },
});
const hpa = (namespace: string, name: string, target: string) => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name, namespace },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, maxReplicas: 3 },
});
const apply = (object: object) => plane.kubectl(['apply', '-f', '-'], { input: JSON.stringify(object) });

async function frozen<T>(hygiene: KubeHygiene, during: () => Promise<T>): Promise<T> {
  const pid = hygiene.process.child.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    return await during();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

async function podCount(namespace: string, app: string): Promise<number> {
  const listed = await plane.kubectl(['get', 'pods', '-n', namespace, '-l', `app=${app}`, '-o', 'name']);
  return listed.stdout.split('\n').filter(Boolean).length;
}

/** The webhooks of ours that left audit annotations on one audited request. */
const judgedBy = (e: AuditEvent) =>
  [
    ...new Set(
      Object.keys(e.annotations ?? {})
        .filter((k) => /^[a-z]+\.kube-hygiene\.io\//.test(k))
        .map((k) => k.split('/')[0]),
    ),
  ].sort();

t.test(
  'enforce install: down or slower than timeoutSeconds, the API server refuses and names our webhook',
  async (t) => {
    const hygiene = await startKubeHygiene(plane, { overlay: 'enforce', policy: OFFLINE_POLICY });
    t.teardown(() => hygiene.stop());
    const validating = hygiene.webhooks.find((w) => w.kind === 'ValidatingWebhookConfiguration')!;
    const timeoutSeconds = (validating.webhooks as { timeoutSeconds: number }[])[0]!.timeoutSeconds;
    t.equal((await cleanDeployment()).code, 0, 'up: the clean Deployment is admitted');

    const started = Date.now();
    const slow = await frozen(hygiene, cleanDeployment);
    const waited = Date.now() - started;
    t.not(slow.code, 0, 'too slow: refused');
    t.match(slow.stderr, /failed calling webhook "validate\.kube-hygiene\.io"/);
    t.match(slow.stderr, /context deadline exceeded|timeout|Client\.Timeout/i);
    t.ok(waited >= timeoutSeconds * 1000 - 500, `the API server waited its timeoutSeconds (${waited} ms)`);

    await hygiene.stop();
    const down = await cleanDeployment();
    t.not(down.code, 0, 'down: refused');
    t.match(down.stderr, /failed calling webhook "validate\.kube-hygiene\.io".*connection refused/s);
  },
);

t.test('enforce install, up: every request is judged once, by the webhook its kind calls for', async (t) => {
  const hygiene = await startKubeHygiene(plane, { overlay: 'enforce', policy: OFFLINE_POLICY });
  t.teardown(() => hygiene.stop());
  await plane.kubectl(['create', 'namespace', 'routing']);
  await plane.kubectl(['create', 'namespace', 'routing-audit']);
  await plane.kubectl(['label', 'namespace', 'routing-audit', 'kube-hygiene.io/mode=audit']);

  const image = 'ghcr.io/acme/web:v1.4.2';
  const steps: [string, () => Promise<{ code: number; stderr: string }>][] = [
    ['a person creates a Deployment', () => apply(deployment('routing', 'app', image))],
    [
      'a person relabels it',
      () => plane.kubectl(['label', 'deployment', 'app', '-n', 'routing', 'tier=web']),
    ],
    [
      'a person changes its pod template',
      () => plane.kubectl(['set', 'env', 'deployment/app', '-n', 'routing', 'MODE=fast']),
    ],
    ['a person creates an HPA for a missing Deployment', () => apply(hpa('routing', 'ghost', 'ghost'))],
    ['a person creates an HPA for it', () => apply(hpa('routing', 'app-hpa', 'app'))],
    [
      'a person creates a Deployment in an audit namespace',
      () => apply(deployment('routing-audit', 'trial', image)),
    ],
  ];
  for (const [what, step] of steps) {
    const done = await step();
    t.equal(done.code, 0, done.code ? `${what}: ${done.stderr}` : what);
  }
  await eventually(async () => (await podCount('routing', 'app')) >= 1, 60_000, 'the controllers’ pods');
  const deleted = await plane.kubectl(['delete', 'deployment', 'app', '-n', 'routing', '--wait=false']);
  t.equal(deleted.code, 0, deleted.stderr);
  t.match(
    deleted.stderr,
    /\[hpa-target\] HPA routing\/app-hpa will be left targeting nothing/,
    'still judged',
  );

  const events = plane
    .auditEvents()
    .filter(
      (e) =>
        ['routing', 'routing-audit'].includes(e.objectRef?.namespace ?? '') &&
        ['create', 'update', 'patch', 'delete'].includes(e.verb) &&
        ['deployments', 'replicasets', 'pods', 'horizontalpodautoscalers'].includes(
          e.objectRef?.resource ?? '',
        ) &&
        !e.objectRef?.subresource,
    );
  for (const e of events)
    t.ok(judgedBy(e).length <= 1, `${e.verb} ${e.objectRef?.resource} ${e.objectRef?.name}: ${judgedBy(e)}`);
  const by = (verb: string, resource: string, name: RegExp, user?: RegExp, namespace = 'routing') =>
    events
      .filter(
        (e) =>
          e.verb === verb &&
          e.objectRef?.namespace === namespace &&
          e.objectRef.resource === resource &&
          name.test(e.objectRef.name ?? '') &&
          (!user || user.test(e.user.username)),
      )
      .flatMap(judgedBy);
  const controller = /^system:serviceaccount:kube-system:/;
  t.same(by('create', 'deployments', /^app$/), ['validate.kube-hygiene.io'], 'a person’s Deployment');
  t.same(
    by('patch', 'deployments', /^app$/),
    ['warn.kube-hygiene.io', 'validate.kube-hygiene.io'],
    'relabelled (pod template unchanged), then a new template',
  );
  t.same(
    [...new Set(by('create', 'replicasets', /^app-/, controller))],
    ['warn.kube-hygiene.io'],
    'ReplicaSets the deployment controller made',
  );
  t.same(
    // In routing: trial's pods in routing-audit go to audit.kube-hygiene.io, as they should.
    [...new Set(by('create', 'pods', /^$/, controller, 'routing'))],
    ['warn.kube-hygiene.io'],
    'pods the ReplicaSet controller made (generateName: no name in the audit event)',
  );
  t.same(by('create', 'horizontalpodautoscalers', /^ghost$/), ['warn.kube-hygiene.io'], 'HPAs');
  t.same(by('delete', 'deployments', /^app$/), ['warn.kube-hygiene.io'], 'DELETE');
  t.same(
    by('create', 'deployments', /^trial$/, undefined, 'routing-audit'),
    ['audit.kube-hygiene.io'],
    'a namespace in audit mode',
  );
});

t.test(
  'enforce install, down: deletes, HPA edits, relabels, finalizer removals and controllers’ scale-ups go through; a person’s Deployment waits',
  async (t) => {
    const hygiene = await startKubeHygiene(plane, { overlay: 'enforce', policy: OFFLINE_POLICY });
    t.teardown(() => hygiene.stop());
    await plane.kubectl(['create', 'namespace', 'ops']);
    await plane.kubectl(['create', 'namespace', 'ops-audit']);
    await plane.kubectl(['label', 'namespace', 'ops-audit', 'kube-hygiene.io/mode=audit']);
    const image = 'ghcr.io/acme/api:v2.1.0';
    for (const object of [
      deployment('ops', 'api', image, { finalizers: ['example.com/hold'] }),
      deployment('ops', 'old', image),
      hpa('ops', 'api-hpa', 'api'),
    ]) {
      const made = await apply(object);
      t.equal(made.code, 0, made.stderr);
    }
    await eventually(async () => (await podCount('ops', 'api')) === 1, 60_000, 'the first pod');
    await hygiene.stop();

    const ok = async (what: string, args: string[]) => {
      const done = await plane.kubectl(args);
      t.equal(done.code, 0, done.code ? `${what}: ${done.stderr}` : what);
    };
    await ok('kubectl delete deployment', ['delete', 'deployment', 'old', '-n', 'ops']);
    await ok('an HPA edit', [
      'patch',
      'hpa',
      'api-hpa',
      '-n',
      'ops',
      '--type=merge',
      '-p',
      '{"spec":{"maxReplicas":5}}',
    ]);
    await ok('a relabel', ['label', 'deployment', 'api', '-n', 'ops', 'tier=backend']);
    await ok('a finalizer removal', [
      'patch',
      'deployment',
      'api',
      '-n',
      'ops',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/metadata/finalizers"}]',
    ]);
    await ok('kubectl scale', ['scale', 'deployment', 'api', '-n', 'ops', '--replicas=3']);
    await eventually(async () => (await podCount('ops', 'api')) === 3, 60_000, 'three pods');
    const scaledUp = plane
      .auditEvents()
      .filter(
        (e) =>
          e.objectRef?.namespace === 'ops' &&
          e.objectRef.resource === 'replicasets' &&
          ['update', 'patch'].includes(e.verb) &&
          e.user.username === 'system:serviceaccount:kube-system:deployment-controller',
      );
    t.ok(
      scaledUp.some((e) => e.responseStatus?.code === 200),
      'the deployment controller scaled its ReplicaSet up',
    );
    // A new pod-template annotation, the same pod spec: nothing the server could deny.
    await ok('kubectl rollout restart', ['rollout', 'restart', 'deployment/api', '-n', 'ops']);
    await ok('a Deployment in a namespace in audit mode', [
      'create',
      'deployment',
      'trial',
      '-n',
      'ops-audit',
      '--image=trial:latest',
    ]);

    const bad = await apply(deployment('ops', 'bad', 'nginx:latest'));
    t.not(bad.code, 0, 'a person’s new Deployment is refused');
    t.match(bad.stderr, /failed calling webhook "validate\.kube-hygiene\.io".*connection refused/s);
    const retemplated = await plane.kubectl([
      'set',
      'image',
      'deployment/api',
      '-n',
      'ops',
      'app=nginx:latest',
    ]);
    t.not(retemplated.code, 0, 'and so is a change to a pod template');
    t.match(retemplated.stderr, /validate\.kube-hygiene\.io/);
  },
);

t.test('strict placement, down: a controller’s pods wait for kube-hygiene, then get its patch', async (t) => {
  const hygiene = await startKubeHygiene(plane, {
    overlay: 'enforce-strict-placement',
    policy: OFFLINE_POLICY,
  });
  t.teardown(() => hygiene.stop());
  await plane.kubectl(['create', 'namespace', 'strict']);
  const sidecar = {
    ...deployment('strict', 'edge', 'ghcr.io/acme/edge:v3.0.0'),
  };
  sidecar.spec.template.spec.containers.push({
    name: 'log-shipper',
    image: 'ghcr.io/acme/log-shipper:v2.0.1',
    imagePullPolicy: 'Never',
  });
  sidecar.spec.replicas = 0;
  t.equal((await apply(sidecar)).code, 0);
  await hygiene.stop();

  const scaled = await plane.kubectl(['scale', 'deployment', 'edge', '-n', 'strict', '--replicas=1']);
  t.equal(scaled.code, 0, `the scale itself goes through: ${scaled.stderr}`);
  await eventually(
    () =>
      plane
        .auditEvents()
        .some(
          (e) =>
            e.verb === 'create' &&
            e.objectRef?.resource === 'pods' &&
            e.objectRef.namespace === 'strict' &&
            e.responseStatus?.code !== 201 &&
            /mutate\.kube-hygiene\.io/.test(e.responseStatus?.message ?? ''),
        ),
    30_000,
    'the ReplicaSet controller’s pod refused, naming mutate.kube-hygiene.io',
  );
  t.equal(await podCount('strict', 'edge'), 0, 'no pod without its patch');

  await hygiene.restart();
  await eventually(async () => (await podCount('strict', 'edge')) === 1, 120_000, 'the pod, once it is back');
  const pod = JSON.parse(
    (await plane.kubectl(['get', 'pods', '-n', 'strict', '-l', 'app=edge', '-o', 'json'])).stdout,
  ) as { items: { spec: { containers: { name: string; env?: { name: string }[] }[] } }[] };
  t.same(
    pod.items[0]!.spec.containers.find((c) => c.name === 'log-shipper')?.env?.map((e) => e.name),
    ['POD_NAME', 'POD_NAMESPACE'],
    'created with the sidecar’s env',
  );
});

t.test('audit install: down or slower than timeoutSeconds, the write goes through', async (t) => {
  const hygiene = await startKubeHygiene(plane, {
    overlay: 'audit',
    policy: OFFLINE_POLICY.replace('mode: enforce', 'mode: audit'),
  });
  t.teardown(() => hygiene.stop());
  const slow = await frozen(hygiene, cleanDeployment);
  t.equal(slow.code, 0, `too slow: admitted (${slow.stderr})`);
  await hygiene.stop();
  const down = await cleanDeployment();
  t.equal(down.code, 0, `down: admitted (${down.stderr})`);
});
