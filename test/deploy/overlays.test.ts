// Every overlay rendered with `kubectl kustomize` from a copy of deploy/ holding certificates made
// by certs-scripts/generate: each object valid against the Kubernetes OpenAPI schemas, and the
// properties that keep a cluster safe and the webhook reachable, asserted on what would be applied.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '../../src/policy/load.js';
import { splitPemBundle } from '../../src/certs/webhook-certs.js';
import { OVERLAYS, deployCopy, find, render, type KubeObject, type Overlay } from './render.js';
import { schemaErrors } from './schemas.js';

const deployDir = deployCopy();
const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, render(deployDir, o)])) as Record<
  Overlay,
  KubeObject[]
>;
const caBundle = readFileSync(join(deployDir, 'certs/ca-bundle.crt'), 'utf8');

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML is read field by field */
type Webhook = Record<string, any>;
const webhooksOf = (objects: KubeObject[], kind: string) =>
  find(objects, kind, 'kube-hygiene').webhooks as Webhook[];

t.test('every rendered object is valid against its OpenAPI schema', async (t) => {
  for (const overlay of OVERLAYS) {
    const objects = rendered[overlay];
    t.ok(objects.length >= 11, `${overlay}: ${objects.length} objects`);
    for (const o of objects) t.equal(schemaErrors(o), '', `${overlay}: ${o.kind} ${o.metadata.name}`);
  }
  // The check can fail: a wrong type is reported.
  const broken = structuredClone(find(rendered.audit, 'Service'));
  (broken.spec as any).ports[0].port = 'https';
  t.match(schemaErrors(broken), /port must be integer/);
});

t.test(
  'webhook configurations: dry-run safe, short timeouts, never judging their own namespace',
  async (t) => {
    for (const overlay of OVERLAYS) {
      const validating = webhooksOf(rendered[overlay], 'ValidatingWebhookConfiguration');
      const mutating = webhooksOf(rendered[overlay], 'MutatingWebhookConfiguration');
      t.equal(validating.length, 1);
      t.equal(mutating.length, 1);
      for (const w of [...validating, ...mutating]) {
        const at = `${overlay} ${w.name}`;
        t.same(w.admissionReviewVersions, ['v1'], `${at}: v1 reviews`);
        t.equal(w.sideEffects, 'None', `${at}: sideEffects None (kubectl apply --dry-run=server)`);
        t.equal(w.timeoutSeconds, 5, `${at}: timeout`);
        t.equal(w.matchPolicy, 'Equivalent', `${at}: matchPolicy`);
        t.same(
          w.namespaceSelector,
          {
            matchExpressions: [
              {
                key: 'kubernetes.io/metadata.name',
                operator: 'NotIn',
                values: ['kube-system', 'kube-hygiene'],
              },
              { key: 'kube-hygiene.io/mode', operator: 'NotIn', values: ['off'] },
            ],
          },
          `${at}: kube-system, kube-hygiene and mode=off namespaces excluded`,
        );
        t.same(w.clientConfig.service.name, 'kube-hygiene');
        t.same(w.clientConfig.service.namespace, 'kube-hygiene');
        t.equal(w.clientConfig.service.port, 443);
      }
      t.equal(validating[0]!.clientConfig.service.path, '/validate');
      t.equal(mutating[0]!.clientConfig.service.path, '/mutate');
      t.equal(mutating[0]!.failurePolicy, 'Ignore', `${overlay}: mutating failurePolicy Ignore`);
      t.equal(mutating[0]!.reinvocationPolicy, 'IfNeeded');
      t.equal(
        validating[0]!.failurePolicy,
        overlay === 'enforce' ? 'Fail' : 'Ignore',
        `${overlay}: validating failurePolicy`,
      );
    }
  },
);

t.test('webhook rules: the operations and resources the issue names, nothing more', async (t) => {
  const flat = (w: Webhook) =>
    (w.rules as Webhook[])
      .flatMap((r) =>
        (r.operations as string[]).flatMap((op) =>
          (r.apiGroups as string[]).flatMap((g) =>
            (r.apiVersions as string[]).flatMap((v) =>
              (r.resources as string[]).map((res) => `${op} ${g || 'core'}/${v} ${res} ${r.scope}`),
            ),
          ),
        ),
      )
      .sort();
  const createUpdate = [
    'core/v1 pods',
    'core/v1 pods/ephemeralcontainers',
    'core/v1 replicationcontrollers',
    'core/v1 podtemplates',
    'apps/v1 deployments',
    'apps/v1 statefulsets',
    'apps/v1 replicasets',
    'apps/v1 daemonsets',
    'batch/v1 jobs',
    'batch/v1 cronjobs',
    'autoscaling/v1 horizontalpodautoscalers',
    'autoscaling/v2 horizontalpodautoscalers',
  ];
  const deletes = ['apps/v1 deployments', 'apps/v1 statefulsets', 'apps/v1 replicasets'];
  const expected = [
    ...createUpdate.flatMap((r) => [`CREATE ${r} Namespaced`, `UPDATE ${r} Namespaced`]),
    ...deletes.map((r) => `DELETE ${r} Namespaced`),
  ].sort();
  for (const overlay of OVERLAYS) {
    t.same(
      flat(webhooksOf(rendered[overlay], 'ValidatingWebhookConfiguration')[0]!),
      expected,
      `${overlay}: validating`,
    );
    t.same(
      flat(webhooksOf(rendered[overlay], 'MutatingWebhookConfiguration')[0]!),
      ['CREATE core/v1 pods Namespaced'],
      `${overlay}: mutating`,
    );
  }
});

t.test('the policy mode of each overlay, loaded by the server’s own policy loader', async (t) => {
  const expected: Record<Overlay, string> = { audit: 'audit', enforce: 'enforce', 'cert-manager': 'audit' };
  for (const overlay of OVERLAYS) {
    const configMap = find(rendered[overlay], 'ConfigMap', 'kube-hygiene-policy');
    const text = (configMap.data as Record<string, string>)['policy.yaml']!;
    t.equal(parsePolicy(text, `${overlay} ConfigMap`).policy.mode, expected[overlay], `${overlay}: mode`);
  }
});

t.test('certificates: the script-made Secret and caBundle, or cert-manager’s', async (t) => {
  for (const overlay of ['audit', 'enforce'] as const) {
    const secret = find(rendered[overlay], 'Secret', 'kube-hygiene-tls');
    t.equal(secret.type, 'kubernetes.io/tls');
    const data = secret.data as Record<string, string>;
    const leaf = new X509Certificate(Buffer.from(data['tls.crt']!, 'base64'));
    t.equal(
      leaf.checkHost('kube-hygiene.kube-hygiene.svc'),
      'kube-hygiene.kube-hygiene.svc',
      `${overlay}: SAN`,
    );
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const bundle = Buffer.from(
        webhooksOf(rendered[overlay], kind)[0]!.clientConfig.caBundle,
        'base64',
      ).toString();
      t.equal(bundle, caBundle, `${overlay} ${kind}: caBundle is ca-bundle.crt`);
      t.ok(leaf.verify(new X509Certificate(splitPemBundle(bundle)[0]!).publicKey), 'and it signed tls.crt');
    }
  }
  const cm = rendered['cert-manager'];
  t.notOk(
    cm.some((o) => o.kind === 'Secret'),
    'cert-manager: no Secret of ours, cert-manager writes it',
  );
  const serving = find(cm, 'Certificate', 'kube-hygiene-serving');
  t.equal(
    (serving.spec as any).secretName,
    'kube-hygiene-tls',
    'issued into the Secret the Deployment mounts',
  );
  t.same((serving.spec as any).dnsNames, [
    'kube-hygiene',
    'kube-hygiene.kube-hygiene',
    'kube-hygiene.kube-hygiene.svc',
    'kube-hygiene.kube-hygiene.svc.cluster.local',
  ]);
  t.equal((serving.spec as any).issuerRef.name, find(cm, 'Issuer', 'kube-hygiene-ca').metadata.name);
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
    const config = find(cm, kind, 'kube-hygiene');
    t.equal(
      config.metadata.annotations?.['cert-manager.io/inject-ca-from'],
      'kube-hygiene/kube-hygiene-serving',
    );
    t.notOk(webhooksOf(cm, kind)[0]!.clientConfig.caBundle, `${kind}: caBundle left to the CA injector`);
  }
});

t.test(
  'the Deployment: available through drains, locked down, probed, draining before SIGTERM',
  async (t) => {
    for (const overlay of OVERLAYS) {
      const objects = rendered[overlay];
      const deployment = find(objects, 'Deployment', 'kube-hygiene') as any;
      const pod = deployment.spec.template.spec;
      const [container, ...others] = pod.containers;
      t.equal(others.length, 0);
      t.equal(deployment.metadata.namespace, 'kube-hygiene');
      t.equal(deployment.spec.replicas, 3, `${overlay}: 3 replicas`);
      t.same(
        pod.topologySpreadConstraints.map((c: any) => [
          c.topologyKey,
          c.maxSkew,
          c.labelSelector.matchLabels,
        ]),
        [['kubernetes.io/hostname', 1, deployment.spec.selector.matchLabels]],
        'spread across nodes',
      );
      const pdb = find(objects, 'PodDisruptionBudget') as any;
      t.same(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels, 'PDB selects the pods');
      t.equal(pdb.spec.maxUnavailable, 1);
      for (const r of ['requests', 'limits'])
        t.ok(container.resources[r].cpu && container.resources[r].memory, `${r}: cpu and memory`);
      t.same(
        [container.readinessProbe.httpGet, container.livenessProbe.httpGet],
        [
          { path: '/readyz', port: 'https', scheme: 'HTTPS' },
          { path: '/healthz', port: 'https', scheme: 'HTTPS' },
        ],
      );
      t.equal(pod.securityContext.runAsNonRoot, true);
      t.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
      t.same(container.securityContext, {
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const pause = container.lifecycle.preStop.sleep.seconds;
      t.ok(
        pause >= 3 && pause + 3 + 20 <= pod.terminationGracePeriodSeconds,
        `preStop ${pause} s + drain + grace fit`,
      );
      t.same(
        container.ports.map((p: any) => [p.name, p.containerPort]),
        [
          ['https', 8443],
          ['metrics', 9090],
        ],
        'the server’s default ports',
      );
      // The files the server is told to read are where the volumes are mounted.
      const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
      const mountOf = (volume: string) =>
        container.volumeMounts.find((m: any) => m.name === volume).mountPath;
      const volume = (name: string) => pod.volumes.find((v: any) => v.name === name);
      t.equal(env.KUBE_HYGIENE_CERT, `${mountOf('tls')}/tls.crt`);
      t.equal(env.KUBE_HYGIENE_KEY, `${mountOf('tls')}/tls.key`);
      t.equal(env.KUBE_HYGIENE_POLICY, `${mountOf('policy')}/policy.yaml`);
      t.equal(volume('tls').secret.secretName, 'kube-hygiene-tls');
      t.equal(volume('policy').configMap.name, 'kube-hygiene-policy');
      t.equal(pod.serviceAccountName, find(objects, 'ServiceAccount').metadata.name);

      const service = find(objects, 'Service', 'kube-hygiene') as any;
      t.same(service.spec.selector, deployment.spec.selector.matchLabels, 'the Service selects the pods');
      t.same(
        service.spec.ports.map((p: any) => [p.name, p.port, p.targetPort]),
        [
          ['https', 443, 'https'],
          ['metrics', 9090, 'metrics'],
        ],
      );
      const namespace = find(objects, 'Namespace', 'kube-hygiene');
      t.equal(namespace.metadata.labels?.['kube-hygiene.io/mode'], 'off');
    }
  },
);

t.test(
  'RBAC: read-only, exactly what the cluster view reads; secrets only with the opt-in component',
  async (t) => {
    for (const overlay of OVERLAYS) {
      const objects = rendered[overlay];
      const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
      t.same(
        roles.map((r) => r.metadata.name),
        ['kube-hygiene'],
      );
      const grants = (roles[0]!.rules as any[])
        .flatMap((r) =>
          (r.apiGroups as string[]).flatMap((g) =>
            (r.resources as string[]).map((res) => `${g || 'core'}/${res}: ${r.verbs.join(',')}`),
          ),
        )
        .sort();
      t.same(grants, [
        'apps/deployments: get,list,watch',
        'apps/replicasets: get,list,watch',
        'apps/statefulsets: get,list,watch',
        'autoscaling/horizontalpodautoscalers: get,list,watch',
        'core/namespaces: get,list,watch',
      ]);
      const binding = find(objects, 'ClusterRoleBinding', 'kube-hygiene') as any;
      t.same(binding.subjects, [{ kind: 'ServiceAccount', name: 'kube-hygiene', namespace: 'kube-hygiene' }]);
      t.equal(binding.roleRef.name, 'kube-hygiene');
    }
  },
);

t.test('the pull-secrets component adds get on secrets and serviceaccounts, nothing else', async (t) => {
  const dir = join(deployDir, 'overlays/audit-pull-secrets');
  mkdirSync(dir);
  const kustomization = readFileSync(join(deployDir, 'overlays/audit/kustomization.yaml'), 'utf8');
  writeFileSync(join(dir, 'kustomization.yaml'), `${kustomization}  - ../../components/pull-secrets\n`);
  const objects = render(deployDir, 'audit-pull-secrets');
  for (const o of objects) t.equal(schemaErrors(o), '', `${o.kind} ${o.metadata.name}`);
  const role = find(objects, 'ClusterRole', 'kube-hygiene-pull-secrets') as any;
  t.same(role.rules, [{ apiGroups: [''], resources: ['secrets', 'serviceaccounts'], verbs: ['get'] }]);
  const binding = find(objects, 'ClusterRoleBinding', 'kube-hygiene-pull-secrets') as any;
  t.same(binding.subjects, [{ kind: 'ServiceAccount', name: 'kube-hygiene', namespace: 'kube-hygiene' }]);
});
