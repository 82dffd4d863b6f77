// charts/kube-hygiene on its own: `helm lint` passes, bad values fail with a message that names
// the value, the policy follows policies/default.yaml and the chart's mode, the managed
// certificates (no kustomize counterpart yet) are consistent, and another release namespace
// leaves no reference to kube-hygiene's.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parsePolicy } from '../../src/policy/load.js';
import { REPO } from '../harness/server-process.js';
import { CHART, helm, helmTemplate, renderChart } from './chart.js';
import { find, type KubeObject } from './render.js';
import { schemaErrors } from './schemas.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML is read field by field */
const set = (...pairs: string[]) => pairs.flatMap((p) => ['--set', p]);
const ALL_ON = set(
  'mode=enforce',
  'strictPlacement=true',
  'networkPolicy.enabled=true',
  'pullSecretAccess=true',
  'monitoring.serviceMonitor.enabled=true',
  'monitoring.prometheusRule.enabled=true',
  'monitoring.dashboard.enabled=true',
);
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const EXISTING_SECRET = [
  ...set('certificates.source=provided', 'certificates.provided.existingSecret=my-tls'),
  ...['--set-string', `certificates.provided.caBundle=${PEM}`],
];

t.test('helm lint --strict passes, for each certificate source with every option on', async (t) => {
  for (const values of [
    [],
    [...ALL_ON, ...set('certificates.source=cert-manager')],
    [...ALL_ON, ...EXISTING_SECRET],
  ]) {
    const lint = helm(['lint', '--strict', CHART, ...values]);
    t.equal(lint.code, 0, `${values.join(' ')}\n${lint.stdout}${lint.stderr}`);
    t.match(lint.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

t.test('the chart’s version, appVersion and image tag are the package version', async (t) => {
  const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, string>;
  t.equal(chart.version, version, 'Chart.yaml version');
  t.equal(chart.appVersion, version, 'Chart.yaml appVersion');
  const pod = (find(renderChart([]), 'Deployment').spec as any).template.spec;
  t.equal(pod.containers[0].image, `ghcr.io/kube-hygiene/kube-hygiene:${version}`);
  const own = (
    find(renderChart(set('image.repository=registry.example.com/kh', 'image.tag=0.1.0-1')), 'Deployment')
      .spec as any
  ).template.spec;
  t.equal(own.containers[0].image, 'registry.example.com/kh:0.1.0-1');
});

t.test('values the schema refuses, each named with what it accepts', async (t) => {
  const refused: [string[], RegExp][] = [
    [set('mode=enforced'), /at '\/mode': value must be one of 'audit', 'enforce'/],
    [set('mod=enforce'), /additional properties 'mod' not allowed/],
    [set('replicas=0'), /at '\/replicas': minimum: got 0, want 1/],
    [
      set('certificates.source=vault'),
      /at '\/certificates\/source': value must be one of 'managed', 'cert-manager', 'provided'/,
    ],
    [set('image.repository='), /at '\/image\/repository': minLength/],
    [
      set('resources.requests.memory=lots'),
      /at '\/resources\/requests\/memory': 'lots' does not match pattern/,
    ],
    [set('networkPolicy.enabled=yes'), /at '\/networkPolicy\/enabled': got string, want boolean/],
    [
      set('policy.existingConfigMap=My_Policy'),
      /at '\/policy\/existingConfigMap': 'My_Policy' does not match pattern/,
    ],
    [
      set('certificates.source=provided', 'certificates.provided.caBundle=not a certificate'),
      /caBundle': 'not a certificate' does not match pattern/,
    ],
  ];
  for (const [values, message] of refused) {
    const run = helmTemplate(values);
    t.not(run.code, 0, values.join(' '));
    t.match(run.stderr, /values don't meet the specifications of the schema/);
    t.match(run.stderr, message, values.join(' '));
  }
});

t.test('settings that exclude or need each other, refused with what to do', async (t) => {
  const refused: [string[], RegExp][] = [
    [set('strictPlacement=true'), /strictPlacement needs mode enforce/],
    [set('certificates.source=provided'), /certificates\.provided\.caBundle: the PEM of the CA/],
    [
      [...set('certificates.source=provided'), '--set-string', `certificates.provided.caBundle=${PEM}`],
      /certificates\.provided: set cert and key \(PEM; the chart writes the Secret kube-hygiene-tls\), or existingSecret/,
    ],
    [
      [...EXISTING_SECRET, '--set-string', `certificates.provided.cert=${PEM}`],
      /set cert and key, or existingSecret, not both/,
    ],
    [
      set('certificates.provided.existingSecret=my-tls'),
      /certificates\.provided is read only with certificates\.source=provided \(it is managed\)/,
    ],
    [
      set('policy.inline=rules: {}', 'policy.existingConfigMap=mine'),
      /policy: set inline or existingConfigMap, not both/,
    ],
    [
      set('policy.inline=mode: enforce'),
      /policy\.inline has mode: enforce but the chart's mode is audit: they must agree/,
    ],
    [set('policy.inline=- a list'), /policy\.inline must be a YAML mapping/],
  ];
  for (const [values, message] of refused) {
    const run = helmTemplate(values);
    t.not(run.code, 0, values.join(' '));
    t.match(run.stderr, message, values.join(' '));
  }
  const old = helm(['template', 'kube-hygiene', CHART, '--kube-version', '1.29.0']);
  t.match(
    old.stderr,
    /chart requires kubeVersion: >=1\.30\.0-0 which is incompatible with Kubernetes v1\.29\.0/,
  );
});

const policyOf = (objects: KubeObject[]) =>
  (find(objects, 'ConfigMap', 'kube-hygiene-policy').data as Record<string, string>)['policy.yaml']!;

t.test('the policy: policies/default.yaml with the chart’s mode, or the one given', async (t) => {
  const source = readFileSync(join(REPO, 'policies/default.yaml'), 'utf8');
  t.equal(policyOf(renderChart(set('mode=enforce'))), source, 'enforce: policies/default.yaml as it is');
  const audit = policyOf(renderChart([]));
  t.equal(audit, source.replace(/^mode: enforce$/m, 'mode: audit'), 'audit: its mode line only changed');
  t.equal(parsePolicy(audit, 'chart').policy.mode, 'audit', 'read by the server’s own loader');

  const mine = '# ours\nrules:\n  image-tag:\n    action: warn\n';
  const added = policyOf(renderChart(['--set-string', `policy.inline=${mine}`]));
  t.equal(added, `${mine}mode: audit\n`, 'without a mode: the chart’s added');
  t.equal(parsePolicy(added, 'inline').policy.rules['image-tag'].action, 'warn');
  const stated = `mode: enforce\n${mine}`;
  t.equal(
    policyOf(renderChart(['--set-string', `policy.inline=${stated}`, ...set('mode=enforce')])),
    stated,
    'verbatim',
  );

  const existing = renderChart(set('policy.existingConfigMap=team-policy'));
  t.notOk(
    existing.some((o) => o.kind === 'ConfigMap'),
    'no policy of the chart’s',
  );
  const volumes = (find(existing, 'Deployment').spec as any).template.spec.volumes;
  t.same(volumes.find((v: any) => v.name === 'policy').configMap, { name: 'team-policy' });
});

t.test(
  'managed certificates, the default: an empty Secret and Lease the server may update by name',
  async (t) => {
    const objects = renderChart([]);
    const secret = find(objects, 'Secret', 'kube-hygiene-managed-tls') as any;
    t.same([secret.type, secret.data], ['Opaque', undefined], 'shipped empty');
    t.equal((find(objects, 'Lease', 'kube-hygiene-certificates') as any).spec, undefined, 'shipped empty');
    const container = (find(objects, 'Deployment').spec as any).template.spec.containers[0];
    const env = Object.fromEntries(
      container.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]),
    );
    t.same(env, {
      KUBE_HYGIENE_CERTIFICATES: 'managed',
      KUBE_HYGIENE_NAMESPACE: 'metadata.namespace',
      KUBE_HYGIENE_WEBHOOK_CONFIGURATIONS:
        'validatingwebhookconfiguration/kube-hygiene,mutatingwebhookconfiguration/kube-hygiene',
      KUBE_HYGIENE_POLICY: '/etc/kube-hygiene/policy/policy.yaml',
      LOG_LEVEL: 'info',
    });
    t.notOk(
      container.volumeMounts.some((m: any) => m.name === 'tls'),
      'no certificate mounted',
    );
    const configurations = objects.filter((o) => o.kind.endsWith('WebhookConfiguration'));
    t.same(
      configurations.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`).sort(),
      env.KUBE_HYGIENE_WEBHOOK_CONFIGURATIONS.split(',').sort(),
      'the server is told every webhook configuration',
    );
    for (const o of configurations)
      for (const w of o.webhooks as any[])
        t.notOk(w.clientConfig.caBundle, `${w.name}: the server writes the caBundle`);
    const grants = (kind: string, name: string) =>
      (find(objects, kind, name).rules as any[]).map(
        (r) => `${r.resources.join(',')} ${r.resourceNames} ${r.verbs}`,
      );
    t.same(grants('Role', 'kube-hygiene-certificates'), [
      'secrets kube-hygiene-managed-tls get,update',
      'leases kube-hygiene-certificates get,update',
    ]);
    t.same(grants('ClusterRole', 'kube-hygiene-webhook-ca-bundle'), [
      `validatingwebhookconfigurations,mutatingwebhookconfigurations ${[...new Set(configurations.map((o) => o.metadata.name))]} get,update`,
    ]);
    for (const binding of ['RoleBinding', 'ClusterRoleBinding'])
      t.same(
        (
          find(
            objects,
            binding,
            binding === 'RoleBinding' ? 'kube-hygiene-certificates' : 'kube-hygiene-webhook-ca-bundle',
          ) as any
        ).subjects,
        [{ kind: 'ServiceAccount', name: 'kube-hygiene', namespace: 'kube-hygiene' }],
      );
  },
);

t.test('a provided certificate in a Secret of your own: mounted, its CA in every caBundle', async (t) => {
  const objects = renderChart(EXISTING_SECRET);
  t.notOk(
    objects.some((o) => o.kind === 'Secret'),
    'no Secret of the chart’s',
  );
  const pod = (find(objects, 'Deployment').spec as any).template.spec;
  t.same(pod.volumes.find((v: any) => v.name === 'tls').secret, { secretName: 'my-tls' });
  for (const o of objects.filter((o) => o.kind.endsWith('WebhookConfiguration')))
    for (const w of o.webhooks as any[])
      t.equal(Buffer.from(w.clientConfig.caBundle, 'base64').toString(), PEM, w.name);
});

t.test('replicas, the priority quota that follows them, and who may reach the pods', async (t) => {
  const objects = renderChart([
    ...ALL_ON,
    ...set('replicas=5', 'networkPolicy.webhookFrom[0].ipBlock.cidr=10.0.0.0/24'),
  ]);
  t.equal((find(objects, 'Deployment').spec as any).replicas, 5);
  t.equal((find(objects, 'ResourceQuota').spec as any).hard.pods, '12', 'five replicas, a surge pod, spares');
  const [webhook] = (find(objects, 'NetworkPolicy').spec as any).ingress;
  t.same(webhook.from, [{ ipBlock: { cidr: '10.0.0.0/24' } }]);
});

t.test('every rendered object is valid against its schema, whatever the settings', async (t) => {
  for (const values of [
    [],
    [...ALL_ON, ...set('certificates.source=cert-manager')],
    [...ALL_ON, ...EXISTING_SECRET],
    ALL_ON,
  ])
    for (const o of renderChart(values))
      t.equal(schemaErrors(o), '', `${o.kind} ${o.metadata.name} (${values.join(' ')})`);
});

t.test('another release namespace: every reference to the install’s namespace follows it', async (t) => {
  for (const source of ['managed', 'cert-manager']) {
    const objects = renderChart([...ALL_ON, ...set(`certificates.source=${source}`)], 'hygiene');
    const namespaces = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object')
        for (const [key, value] of Object.entries(node)) {
          if (key === 'namespace' && typeof value === 'string') namespaces.add(value);
          walk(value);
        }
    };
    walk(objects);
    t.same([...namespaces], ['hygiene'], `${source}: every namespace field`);
    const text = JSON.stringify(objects);
    t.notMatch(text, /kube-hygiene\.kube-hygiene|namespace=\\"kube-hygiene\\"|-n kube-hygiene /);
    for (const o of objects.filter((o) => o.kind.endsWith('WebhookConfiguration')))
      for (const w of o.webhooks as any[])
        t.same(
          w.namespaceSelector.matchExpressions[0].values,
          ['kube-system', 'hygiene'],
          `${w.name}: skips its own namespace`,
        );
    t.same((find(objects, 'ServiceMonitor').spec as any).namespaceSelector.matchNames, ['hygiene']);
    t.match(
      JSON.stringify(find(objects, 'PrometheusRule').spec),
      /up\{job=\\"kube-hygiene\\", namespace=\\"hygiene\\"\}/,
    );
    if (source === 'cert-manager') {
      t.same((find(objects, 'Certificate', 'kube-hygiene-serving').spec as any).dnsNames, [
        'kube-hygiene',
        'kube-hygiene.hygiene',
        'kube-hygiene.hygiene.svc',
        'kube-hygiene.hygiene.svc.cluster.local',
      ]);
      t.equal(
        find(objects, 'ValidatingWebhookConfiguration').metadata.annotations?.[
          'cert-manager.io/inject-ca-from'
        ],
        'hygiene/kube-hygiene-serving',
      );
    }
  }
});
