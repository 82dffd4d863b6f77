// deploy/monitoring rendered with kubectl kustomize: valid Prometheus Operator objects that scrape
// the Service's metrics port, alerts for the five ways admission breaks, and a dashboard. Every
// PromQL expression parses, and every series it selects is one the server really exports (from
// the metrics registry it builds, Node process metrics included) with labels that series has.
// promtool (Debian's `prometheus` package) loads the rules and runs test/deploy/promtool/: each
// alert firing and quiet; the counters alerts read are exported at 0 before their first event.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { createMetrics } from '../../src/metrics/metrics.js';
import { openRegistrySource } from '../../src/server/registry-source.js';
import { tempDir } from '../harness/tls.js';
import { LookupFailure } from '../../src/images/registry/lookup-error.js';
import { REPO } from '../harness/server-process.js';
import { deployCopy, find, kubectlWithKustomize, render, type KubeObject } from './render.js';
import { schemaErrors } from './schemas.js';
import { selectors, syntaxErrors } from './promql.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML and dashboard JSON are read field by field */
const objects = parseAllDocuments(
  execFileSync(kubectlWithKustomize(), ['kustomize', join(REPO, 'deploy/monitoring')], { encoding: 'utf8' }),
).map((d) => d.toJS() as KubeObject);
const installed = render(deployCopy(), 'audit');
const rules = (find(objects, 'PrometheusRule').spec as any).groups.flatMap((g: any) => g.rules) as any[];
const dashboard = JSON.parse(
  readFileSync(join(REPO, 'deploy/monitoring/kube-hygiene-dashboard.json'), 'utf8'),
);
const panels = dashboard.panels.filter((p: any) => p.type !== 'row') as any[];

/** Series name → its label names, as the server's registry exports them. */
const exported = new Map<string, Set<string>>();
for (const metric of createMetrics().registry.getMetricsAsArray() as unknown as {
  name: string;
  labelNames?: string[];
  type: string;
}[]) {
  const labels = new Set(metric.labelNames ?? []);
  exported.set(metric.name, labels);
  if (metric.type === 'histogram') {
    exported.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
    exported.set(`${metric.name}_sum`, labels);
    exported.set(`${metric.name}_count`, labels);
  }
}
// Labels Prometheus adds to every scraped series (ServiceMonitor target labels), and `up`.
const TARGET_LABELS = ['job', 'namespace', 'pod', 'instance', 'service', 'endpoint', 'container'];
exported.set('up', new Set());

t.test('valid Prometheus Operator objects, scraping the Service’s metrics port', async (t) => {
  t.same(objects.map((o) => o.kind).sort(), ['ConfigMap', 'PrometheusRule', 'ServiceMonitor']);
  for (const o of objects) t.equal(schemaErrors(o), '', `${o.kind} ${o.metadata.name}: schema`);
  const monitor = find(objects, 'ServiceMonitor').spec as any;
  const service = find(installed, 'Service', 'kube-hygiene');
  t.match(service.metadata.labels, monitor.selector.matchLabels, 'selects the installed Service');
  t.same(monitor.namespaceSelector.matchNames, [service.metadata.namespace]);
  const ports = (service.spec as any).ports.map((p: any) => p.name);
  for (const e of monitor.endpoints) t.ok(ports.includes(e.port), `endpoint port ${e.port} exists`);
  const configMap = find(objects, 'ConfigMap', 'kube-hygiene-dashboard');
  t.equal(configMap.metadata.labels?.grafana_dashboard, '1', 'picked up by the Grafana sidecar');
  t.same(JSON.parse((configMap.data as any)['kube-hygiene-dashboard.json']), dashboard);
});

t.test('alerts for each way admission breaks', async (t) => {
  const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
  const uses = (alert: string, metric: string) =>
    t.ok(
      byName[alert] && selectors(byName[alert].expr).some((s) => s.metric === metric),
      `${alert} reads ${metric}`,
    );
  uses('KubeHygieneWebhookErrors', 'kube_hygiene_admission_requests_total');
  uses('KubeHygieneLatencyNearTimeout', 'kube_hygiene_admission_duration_seconds_bucket');
  uses('KubeHygieneCertificateExpiringSoon', 'kube_hygiene_certificate_expiry_seconds');
  uses('KubeHygieneRegistryLookupsFailing', 'kube_hygiene_registry_lookups_total');
  uses('KubeHygienePolicyReloadRefused', 'kube_hygiene_policy_reloads_total');
  t.match(byName.KubeHygieneCertificateExpiringSoon.expr, /< 14 \* 86400$/, '14 days');
  // The latency threshold sits below the timeout the API server applies.
  const timeout = (find(installed, 'ValidatingWebhookConfiguration').webhooks as any)[0].timeoutSeconds;
  const threshold = Number(/> ([\d.]+)\s*$/.exec(byName.KubeHygieneLatencyNearTimeout.expr)?.[1]);
  t.ok(threshold > 0 && threshold < timeout, `p99 alert at ${threshold} s, timeout ${timeout} s`);
  // Registry failures are the lookup failures the client reports, except a missing image.
  const failing = selectors(byName.KubeHygieneRegistryLookupsFailing.expr)
    .flatMap((s) => s.matchers)
    .find((m) => m.label === 'result')!;
  const values: string[] = Object.values(LookupFailure);
  for (const value of failing.value.split('|'))
    t.ok(values.includes(value), `result="${value}" is a lookup failure`);
  t.notOk(
    failing.value.split('|').includes(LookupFailure.notFound),
    'a missing image is no registry failure',
  );
  for (const r of rules) {
    t.match(r.labels?.severity, /^(warning|critical)$/, `${r.alert}: severity`);
    t.ok(r.annotations?.summary && r.annotations?.description, `${r.alert}: summary and description`);
  }
});

t.test('the dashboard: panels for decisions, findings by rule, latency, cache and registry', async (t) => {
  t.equal(dashboard.uid, 'kube-hygiene');
  t.ok(panels.length >= 10, `${panels.length} panels`);
  t.equal(new Set(dashboard.panels.map((p: any) => p.id)).size, dashboard.panels.length, 'unique panel ids');
  for (const p of panels) {
    t.ok(p.gridPos && p.targets?.length, `${p.title}: placed, with queries`);
    t.equal(p.datasource.uid, '${datasource}', `${p.title}: the templated data source`);
  }
  const metricsShown = new Set(
    panels.flatMap((p) => p.targets.flatMap((q: any) => selectors(q.expr).map((s) => s.metric))),
  );
  for (const m of [
    'kube_hygiene_admission_requests_total',
    'kube_hygiene_findings_total',
    'kube_hygiene_admission_duration_seconds_bucket',
    'kube_hygiene_cache_entries',
    'kube_hygiene_registry_lookups_total',
    'kube_hygiene_certificate_expiry_seconds',
  ])
    t.ok(metricsShown.has(m), `shows ${m}`);
  t.ok(
    panels.some((p) => p.targets.some((q: any) => /result="cached"/.test(q.expr))),
    'a panel shows the registry cache hit rate',
  );
});

t.test('every expression parses and selects series the server exports, by labels they carry', async (t) => {
  const expressions = [
    ...rules.map((r) => [`alert ${r.alert}`, r.expr as string]),
    ...panels.flatMap((p) => p.targets.map((q: any) => [`panel ${p.title}`, q.expr as string])),
  ];
  for (const [where, expr] of expressions) {
    t.same(syntaxErrors(expr!), [], `${where}: parses`);
    for (const s of selectors(expr!)) {
      const labels = exported.get(s.metric);
      t.ok(labels, `${where}: ${s.metric} is exported`);
      for (const m of s.matchers)
        t.ok(
          labels?.has(m.label) || TARGET_LABELS.includes(m.label),
          `${where}: ${s.metric} has label ${m.label}`,
        );
    }
  }
  // The checks can fail: a misspelt metric or a syntax error is caught.
  t.notOk(exported.has(selectors('rate(kube_hygiene_admision_requests_total[5m])')[0]!.metric));
  t.not(syntaxErrors('sum(rate(kube_hygiene_findings_total[5m])').length, 0);
});

const PROMTOOL_TESTS = join(REPO, 'test/deploy/promtool/alerts.test.yaml');

function promtool(args: string[], cwd: string): { code: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new Error('promtool is missing: apt-get install prometheus (.ci/run does this)');
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

t.test('promtool: the rules load, and each alert fires when it should and only then', async (t) => {
  const dir = tempDir('kube-hygiene-promtool-');
  writeFileSync(join(dir, 'kube-hygiene-rules.yaml'), stringify(find(objects, 'PrometheusRule').spec));
  copyFileSync(PROMTOOL_TESTS, join(dir, 'alerts.test.yaml'));
  const check = promtool(['check', 'rules', 'kube-hygiene-rules.yaml'], dir);
  t.equal(check.code, 0, 'promtool check rules');
  t.match(check.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  const run = promtool(['test', 'rules', 'alerts.test.yaml'], dir);
  t.equal(run.code, 0, `promtool test rules\n${run.output}`);

  const cases = (parse(readFileSync(PROMTOOL_TESTS, 'utf8')) as any).tests as any[];
  const checks = cases.flatMap((c) => c.alert_rule_test ?? []) as any[];
  for (const r of rules) {
    const mine = checks.filter((c) => c.alertname === r.alert);
    t.ok(
      mine.some((c) => c.exp_alerts?.length),
      `${r.alert}: a case where it fires`,
    );
    t.ok(
      mine.some((c) => c.exp_alerts?.length === 0),
      `${r.alert}: a case where it does not`,
    );
  }
  // The cases feed series the server really exports, with labels those series have.
  for (const { series } of cases.flatMap((c) => c.input_series) as { series: string }[]) {
    const [s] = selectors(series);
    const labels = exported.get(s!.metric);
    t.ok(labels, `${s!.metric} is exported`);
    const unknown = s!.matchers.filter((m) => !labels?.has(m.label) && !TARGET_LABELS.includes(m.label));
    t.same(unknown, [], `${series}: labels the server exports`);
  }
});

t.test('the counters and gauges alerts read are exported at 0 before their first event', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false });
  openRegistrySource({ logger: pino({ level: 'silent' }), metrics });
  const text = await metrics.registry.metrics();
  for (const series of [
    'kube_hygiene_policy_reloads_total{result="refused"}',
    'kube_hygiene_certificate_reloads_total{result="refused"}',
    'kube_hygiene_policy_reload_failed',
    'kube_hygiene_certificate_reload_failed',
    'kube_hygiene_admission_requests_total{webhook="validate",kind="",operation="",decision="error"}',
    'kube_hygiene_admission_requests_total{webhook="mutate",kind="",operation="",decision="error"}',
    'kube_hygiene_registry_lookups_total{result="timeout"}',
    'kube_hygiene_registry_lookups_total{result="ok"}',
    'kube_hygiene_connections_closed_total{reason="request-deadline"}',
  ])
    t.ok(text.split('\n').includes(`${series} 0`), `${series} 0`);
});
