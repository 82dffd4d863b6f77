// charts/kube-hygiene renders what deploy/ renders for the same settings: each overlay (with the
// optional components added the way docs/install.md says) against `helm template` with the
// values that name the same choices, object by object. The chart's copies of deploy/ files and of
// policies/default.yaml are checked byte for byte.
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../harness/server-process.js';
import { CHART, HELM_LABELS, KUBE_VERSION, renderChart } from './chart.js';
import { deployCopy, render, type KubeObject } from './render.js';

const FILES = 'run `npm run chart:files`';

t.test('the chart’s files/ are copies of their sources', async (t) => {
  const copies = {
    'files/policy.yaml': 'policies/default.yaml',
    'files/webhooks.yaml': 'deploy/base/webhooks.yaml',
    'files/prometheusrule.yaml': 'deploy/monitoring/prometheusrule.yaml',
    'files/kube-hygiene-dashboard.json': 'deploy/monitoring/kube-hygiene-dashboard.json',
  };
  for (const [copy, source] of Object.entries(copies))
    t.equal(
      readFileSync(join(CHART, copy), 'utf8'),
      readFileSync(join(REPO, source), 'utf8'),
      `charts/kube-hygiene/${copy} is ${source}: ${copy === 'files/policy.yaml' ? 'run `npm run generate`' : FILES}`,
    );
});

const deploy = deployCopy();
const certs = join(deploy, 'certs');
const PROVIDED = [
  ...['--set', 'certificates.source=provided'],
  ...['--set-file', `certificates.provided.cert=${join(certs, 'tls.crt')}`],
  ...['--set-file', `certificates.provided.key=${join(certs, 'tls.key')}`],
  ...['--set-file', `certificates.provided.caBundle=${join(certs, 'ca-bundle.crt')}`],
];
const ENFORCE = ['--set', 'mode=enforce'];

interface Case {
  /** deploy/overlays/<overlay>, with these deploy/components added to its components. */
  readonly overlay: string;
  readonly components?: readonly string[];
  /** And deploy/monitoring. */
  readonly monitoring?: boolean;
  /** The chart's values for the same settings. */
  readonly values: readonly string[];
}

const CASES: readonly Case[] = [
  { overlay: 'audit', values: [] },
  { overlay: 'provided-certificates', values: PROVIDED },
  { overlay: 'enforce', values: [...ENFORCE] },
  { overlay: 'enforce-strict-placement', values: [...ENFORCE, '--set', 'strictPlacement=true'] },
  { overlay: 'cert-manager', values: ['--set', 'certificates.source=cert-manager'] },
  {
    overlay: 'audit',
    components: ['network-policy'],
    values: ['--set', 'networkPolicy.enabled=true'],
  },
  { overlay: 'audit', components: ['pull-secrets'], values: ['--set', 'pullSecretAccess=true'] },
  {
    overlay: 'enforce',
    components: ['network-policy', 'pull-secrets'],
    values: [...ENFORCE, '--set', 'networkPolicy.enabled=true', '--set', 'pullSecretAccess=true'],
  },
  {
    overlay: 'cert-manager',
    components: ['network-policy'],
    values: ['--set', 'certificates.source=cert-manager', '--set', 'networkPolicy.enabled=true'],
  },
  {
    overlay: 'audit',
    monitoring: true,
    values: [
      ...['--set', 'monitoring.serviceMonitor.enabled=true'],
      ...['--set', 'monitoring.prometheusRule.enabled=true'],
      ...['--set', 'monitoring.dashboard.enabled=true'],
    ],
  },
];

/** An overlay of the deploy/ copy: the named one, with components added to its list. */
function kustomized({ overlay, components = [], monitoring }: Case): KubeObject[] {
  let dir = overlay;
  if (components.length) {
    dir = `${overlay}-with-${components.join('-')}`;
    mkdirSync(join(deploy, 'overlays', dir), { recursive: true });
    const kustomization = readFileSync(join(deploy, 'overlays', overlay, 'kustomization.yaml'), 'utf8');
    writeFileSync(
      join(deploy, 'overlays', dir, 'kustomization.yaml'),
      // components: is the last list of every overlay.
      `${kustomization}${components.map((c) => `  - ../../components/${c}\n`).join('')}`,
    );
  }
  const objects = render(deploy, dir);
  if (monitoring) objects.push(...render(deploy, '../monitoring')); // deploy/monitoring
  // Helm installs into a namespace it does not own (`helm install -n kube-hygiene
  // --create-namespace`); the webhooks skip it by name, as they skip deploy/'s.
  return objects.filter((o) => o.kind !== 'Namespace');
}

/** Without Helm's bookkeeping labels, in one order. */
function comparable(objects: KubeObject[]): KubeObject[] {
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  return structuredClone(objects)
    .map((o) => {
      for (const label of HELM_LABELS) delete o.metadata.labels?.[label];
      return o;
    })
    .sort((a, b) => key(a).localeCompare(key(b)));
}

for (const c of CASES) {
  const name = [c.overlay, ...(c.components ?? []), ...(c.monitoring ? ['monitoring'] : [])].join(' + ');
  t.test(`helm template renders what kubectl kustomize renders: ${name}`, async (t) => {
    const chart = comparable(renderChart(c.values));
    const expected = comparable(kustomized(c));
    // Every object of an install can be found by this label: components carry it themselves.
    for (const o of expected)
      t.equal(
        o.metadata.labels?.['app.kubernetes.io/part-of'],
        'kube-hygiene',
        `${o.kind} ${o.metadata.name}`,
      );
    t.same(
      chart.map((o) => `${o.kind} ${o.metadata.name}`),
      expected.map((o) => `${o.kind} ${o.metadata.name}`),
      'the same objects',
    );
    for (const [i, o] of expected.entries()) t.same(chart[i], o, `${o.kind} ${o.metadata.name}`);
    if (!t.passing()) {
      const values = c.values.map((v) => v.replace(deploy, 'deploy')).join(' ');
      t.fail(
        `the chart drifted from deploy/: ${FILES} (its copies of deploy/ files), then bring ` +
          'charts/kube-hygiene/templates/ in step; compare ' +
          `\`helm template kube-hygiene charts/kube-hygiene -n kube-hygiene --kube-version ${KUBE_VERSION} ${values}\` ` +
          `with \`kubectl kustomize deploy/overlays/${c.overlay}\`` +
          (c.components?.length ? ` plus deploy/components/{${c.components.join(',')}}` : '') +
          (c.monitoring ? ' and deploy/monitoring' : ''),
      );
    }
  });
}
